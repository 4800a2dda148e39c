package main

// These tests call a real server: tests/test_other_languages.py starts one and sets NER_ADDRESS,
// and NER_EXPECTED names a JSON file with texts and the entities the Python client got for them.
// NER_CA_FILE (and NER_CERT_FILE, NER_KEY_FILE) make them call over TLS (mutual TLS).

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	nerv1 "ner-grpc/clients/go/nerv1"
)

type expectedEntity struct {
	Text       string `json:"text"`
	Label      string `json:"label"`
	StartChar  int32  `json:"start_char"`
	EndChar    int32  `json:"end_char"`
	StartByte  int32  `json:"start_byte"`
	EndByte    int32  `json:"end_byte"`
	StartToken int32  `json:"start_token"`
	EndToken   int32  `json:"end_token"`
	StartUTF16 int32  `json:"start_utf16"`
	EndUTF16   int32  `json:"end_utf16"`
}

type expectedCase struct {
	ID       string           `json:"id"`
	Text     string           `json:"text"`
	Entities []expectedEntity `json:"entities"`
}

func setup(t *testing.T) (nerv1.NerServiceClient, []expectedCase, context.Context) {
	t.Helper()
	address, expectedFile := os.Getenv("NER_ADDRESS"), os.Getenv("NER_EXPECTED")
	if address == "" || expectedFile == "" {
		t.Skip("NER_ADDRESS and NER_EXPECTED are not set: tests/test_other_languages.py sets them")
	}
	raw, err := os.ReadFile(expectedFile)
	if err != nil {
		t.Fatal(err)
	}
	var cases []expectedCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no cases in " + expectedFile)
	}
	conn, err := Dial(address, os.Getenv("NER_CA_FILE"), os.Getenv("NER_CERT_FILE"), os.Getenv("NER_KEY_FILE"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return nerv1.NewNerServiceClient(conn), cases, ctx
}

// check asserts that every entity slices the text to its own text by bytes, and that the
// entities are the ones the Python client got.
func check(t *testing.T, c expectedCase, entities []*nerv1.Entity) {
	t.Helper()
	if len(entities) != len(c.Entities) {
		t.Errorf("%s: %d entities, the Python client got %d", c.ID, len(entities), len(c.Entities))
		return
	}
	for i, entity := range entities {
		if span := Span(c.Text, entity); span != entity.GetText() {
			t.Errorf("%s: text[%d:%d] is %q, the entity's text is %q", c.ID, entity.GetStartByte(), entity.GetEndByte(), span, entity.GetText())
		}
		got := expectedEntity{
			Text: entity.GetText(), Label: entity.GetLabel(),
			StartChar: entity.GetStartChar(), EndChar: entity.GetEndChar(),
			StartByte: entity.GetStartByte(), EndByte: entity.GetEndByte(),
			StartToken: entity.GetStartToken(), EndToken: entity.GetEndToken(),
			StartUTF16: entity.GetStartUtf16(), EndUTF16: entity.GetEndUtf16(),
		}
		if got != c.Entities[i] {
			t.Errorf("%s: entity %d is %+v, the Python client got %+v", c.ID, i, got, c.Entities[i])
		}
	}
}

func TestUnaryEntitiesSliceByBytes(t *testing.T) {
	client, cases, ctx := setup(t)
	for _, c := range cases {
		entities, err := Extract(ctx, client, c.Text)
		if err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
		check(t, c, entities)
	}
}

func TestStreamedEntitiesSliceByBytes(t *testing.T) {
	client, cases, ctx := setup(t)
	documents := make([]*nerv1.Document, len(cases))
	for i, c := range cases {
		documents[i] = &nerv1.Document{Id: c.ID, Text: c.Text}
	}
	results, err := Stream(ctx, client, documents)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(cases) {
		t.Fatalf("%d results for %d documents", len(results), len(cases))
	}
	for i, result := range results {
		if result.GetId() != cases[i].ID || result.GetError() != nil {
			t.Fatalf("result %d: id %q, error %v; want id %q and no error", i, result.GetId(), result.GetError(), cases[i].ID)
		}
		check(t, cases[i], result.GetEntities())
	}
}
