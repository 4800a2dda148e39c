// Command example tags one text and a stream of documents with ner.v1.NerService, and prints
// every entity by slicing the caller's own string with the UTF-8 byte offsets (start_byte,
// end_byte): Go strings are indexed by byte.
//
//	go run ./example -address localhost:50051
//	go run ./example -address localhost:50051 -ca ca.pem [-cert client.pem -key client.key]
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	nerv1 "ner-grpc/clients/go/nerv1"
)

func main() {
	address := flag.String("address", "localhost:50051", "the server's host:port")
	caFile := flag.String("ca", "", "PEM file of the CA that signed the server's certificate (TLS); plaintext without it")
	certFile := flag.String("cert", "", "PEM file of this client's certificate (mutual TLS)")
	keyFile := flag.String("key", "", "PEM file of this client's private key (mutual TLS)")
	flag.Parse()

	conn, err := Dial(*address, *caFile, *certFile, *keyFile)
	if err != nil {
		log.Fatalf("dial %s: %v", *address, err)
	}
	defer conn.Close()
	client := nerv1.NewNerServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	text := "🎉 Ada Lovelace met Charles Babbage in London in June 1833."
	entities, err := Extract(ctx, client, text)
	if err != nil {
		log.Fatalf("ExtractEntities: %v", err)
	}
	PrintEntities(os.Stdout, "text", text, entities)

	documents := []*nerv1.Document{
		{Id: "a", Text: "Zoë Ngata flew from Wellington to 東京 on Friday 🇯🇵."},
		{Id: "b", Text: "Toyota opened a plant in Kentucky in 1988 🚗."},
	}
	results, err := Stream(ctx, client, documents)
	if err != nil {
		log.Fatalf("StreamExtractEntities: %v", err)
	}
	for i, result := range results {
		if result.GetError() != nil {
			fmt.Printf("%s\terror %d: %s\n", result.GetId(), result.GetError().GetCode(), result.GetError().GetMessage())
			continue
		}
		PrintEntities(os.Stdout, result.GetId(), documents[i].GetText(), result.GetEntities())
	}
}

// Dial connects to address: in plaintext without caFile; with it, over TLS that trusts that CA,
// and with certFile and keyFile also presenting a client certificate (mutual TLS).
func Dial(address, caFile, certFile, keyFile string) (*grpc.ClientConn, error) {
	creds := insecure.NewCredentials()
	if caFile != "" {
		ca, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(ca) {
			return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
		}
		config := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
		if certFile != "" || keyFile != "" {
			pair, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				return nil, err
			}
			config.Certificates = []tls.Certificate{pair}
		}
		creds = credentials.NewTLS(config)
	}
	return grpc.NewClient(address, grpc.WithTransportCredentials(creds))
}

// Span is the entity's text, sliced from the text that was sent: byte offsets slice Go strings.
func Span(text string, entity *nerv1.Entity) string {
	return text[entity.GetStartByte():entity.GetEndByte()]
}

// PrintEntities writes one line per entity: the id, the label and the span sliced from text.
func PrintEntities(w io.Writer, id, text string, entities []*nerv1.Entity) {
	for _, entity := range entities {
		fmt.Fprintf(w, "%s\t%s\t%s\n", id, entity.GetLabel(), Span(text, entity))
	}
}

// Extract tags one text.
func Extract(ctx context.Context, client nerv1.NerServiceClient, text string) ([]*nerv1.Entity, error) {
	response, err := client.ExtractEntities(ctx, &nerv1.ExtractEntitiesRequest{Text: text})
	if err != nil {
		return nil, err
	}
	return response.GetEntities(), nil
}

// Stream tags documents over one StreamExtractEntities call; results come back in input order.
func Stream(ctx context.Context, client nerv1.NerServiceClient, documents []*nerv1.Document) ([]*nerv1.DocumentEntities, error) {
	stream, err := client.StreamExtractEntities(ctx)
	if err != nil {
		return nil, err
	}
	sent := make(chan error, 1)
	go func() {
		for _, document := range documents {
			// io.EOF means the server ended the call; Recv returns its status.
			if err := stream.Send(&nerv1.StreamExtractEntitiesRequest{Document: document}); err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				sent <- err
				return
			}
		}
		sent <- stream.CloseSend()
	}()
	var results []*nerv1.DocumentEntities
	for {
		response, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		results = append(results, response.GetResult())
	}
	if err := <-sent; err != nil {
		return nil, err
	}
	return results, nil
}
