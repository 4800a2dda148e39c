/**
 * One call through the ner-web gateway from Node, over Connect's Connect or gRPC-Web transport on
 * HTTP/1.1, printed as one JSON line: {"response": <the answer in protobuf JSON>} or
 * {"error": {"code": "<connect code>", "message": "...", "details": [<type names>]}}.
 *
 *   node dist/src/gateway.js BASE_URL connect|grpcweb json|binary METHOD REQUEST_JSON [TIMEOUT_MS]
 *
 * METHOD is the method's local name (extractEntities, batchExtractEntities, getModelInfo).
 */
import { type DescMethodUnary, fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { NerService } from "./gen/ner/v1/ner_pb.js";

function transport(baseUrl: string, protocol: string, format: string): Transport {
  const options = { baseUrl, httpVersion: "1.1" as const, useBinaryFormat: format === "binary" };
  if (protocol === "grpcweb") {
    return createGrpcWebTransport(options);
  }
  return createConnectTransport(options);
}

async function main(argv: string[]): Promise<void> {
  const [baseUrl, protocol, format, name, requestJson, timeout] = argv;
  const method = NerService.methods.find((candidate) => candidate.localName === name);
  if (!method || method.methodKind !== "unary") {
    throw new Error(`no unary method ${name}`);
  }
  const unary = method as DescMethodUnary;
  const request = fromJson(unary.input, JSON.parse(requestJson) as JsonValue);
  const timeoutMs = timeout ? Number(timeout) : undefined;
  try {
    const response = await transport(baseUrl, protocol, format).unary(
      unary,
      undefined,
      timeoutMs,
      undefined,
      request,
    );
    console.log(JSON.stringify({ response: toJson(unary.output, response.message) }));
  } catch (error) {
    const failure = ConnectError.from(error);
    const details = failure.details.map((detail) => ("desc" in detail ? detail.desc.typeName : detail.type));
    const code = Code[failure.code].replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
    console.log(JSON.stringify({ error: { code, message: failure.rawMessage, details } }));
  }
}

await main(process.argv.slice(2));
