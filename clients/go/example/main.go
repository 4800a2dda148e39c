// Command example tags one text and a stream of documents with ner.v1.NerService, and prints
// every entity by slicing the caller's own string with the UTF-8 byte offsets (start_byte,
// end_byte): Go strings are indexed by byte.
//
//	go run ./example -address localhost:50051
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	nerv1 "ner-grpc/clients/go/nerv1"
)

func main() {
	address := flag.String("address", "localhost:50051", "the server's host:port")
	flag.Parse()

	conn, err := grpc.NewClient(*address, grpc.WithTransportCredentials(insecure.NewCredentials()))
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
