/**
 * A NerService client over Connect's gRPC transport, and the calls the example and the tests
 * make: tag one text, tag a stream of documents, slice an entity out of the caller's string.
 */
import { readFileSync } from "node:fs";
import { create } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  type Document,
  type DocumentEntities,
  type Entity,
  NerService,
  StreamExtractEntitiesRequestSchema,
} from "./gen/ner/v1/ner_pb.js";

export type NerClient = Client<typeof NerService>;

/** PEM files: the CA that signed the server's certificate, and this client's certificate and key. */
export interface TlsFiles {
  ca: string;
  cert?: string;
  key?: string;
}

/**
 * A client for the server at `address` (host:port): plaintext HTTP/2 without `tls`; with it,
 * TLS that trusts `tls.ca`, presenting `tls.cert` and `tls.key` when given (mutual TLS).
 */
export function createNerClient(address: string, tls?: TlsFiles): NerClient {
  if (!tls) {
    return createClient(NerService, createGrpcTransport({ baseUrl: `http://${address}` }));
  }
  const nodeOptions = {
    ca: readFileSync(tls.ca),
    cert: tls.cert ? readFileSync(tls.cert) : undefined,
    key: tls.key ? readFileSync(tls.key) : undefined,
  };
  return createClient(NerService, createGrpcTransport({ baseUrl: `https://${address}`, nodeOptions }));
}

/** TLS files named by NER_CA_FILE, NER_CERT_FILE and NER_KEY_FILE; none without NER_CA_FILE. */
export function tlsFromEnvironment(): TlsFiles | undefined {
  const { NER_CA_FILE: ca, NER_CERT_FILE: cert, NER_KEY_FILE: key } = process.env;
  return ca ? { ca, cert, key } : undefined;
}

/** The entity's text, sliced from the text that was sent: UTF-16 offsets index JavaScript strings. */
export function span(text: string, entity: Entity): string {
  return text.slice(entity.startUtf16, entity.endUtf16);
}

/** Tags one text. */
export async function extract(client: NerClient, text: string, signal?: AbortSignal): Promise<Entity[]> {
  const response = await client.extractEntities({ text }, { signal });
  return response.entities;
}

/** Tags documents over one StreamExtractEntities call; results come back in input order. */
export async function stream(
  client: NerClient,
  documents: Document[],
  signal?: AbortSignal,
): Promise<DocumentEntities[]> {
  async function* requests() {
    for (const document of documents) {
      yield create(StreamExtractEntitiesRequestSchema, { document });
    }
  }
  const results: DocumentEntities[] = [];
  for await (const response of client.streamExtractEntities(requests(), { signal })) {
    if (response.result) {
      results.push(response.result);
    }
  }
  return results;
}
