// Calls to ner.v1.NerService over the Connect protocol (unary, JSON), as the gateway serves it.
// Answers are in protobuf's JSON mapping: lowerCamelCase names, and a field at its zero value
// may be missing (an offset of 0, an empty list).

export const SERVICE = "ner.v1.NerService";
// Each call's deadline, passed on to the service: a call never leaves the page waiting forever.
const TIMEOUT_MS = 60000;

// The status code names, by number (google.rpc.Code), as gRPC writes them.
export const CODE_NAMES = [
  "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
  "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
  "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
];

/** An error answer: `code` as gRPC names it (INVALID_ARGUMENT), the service's message, its details. */
export class CallError extends Error {
  constructor(code, message, details = []) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

/** The address a method is served at, beside the page (it works under a path prefix too). */
export function methodUrl(method) {
  return new URL(`${SERVICE}/${method}`, document.baseURI).href;
}

/** One unary call: the response message, or a CallError. */
export async function call(method, message) {
  let response;
  try {
    response = await fetch(methodUrl(method), {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "Connect-Protocol-Version": "1",
        "Connect-Timeout-Ms": String(TIMEOUT_MS),
      },
      body: JSON.stringify(message),
    });
  } catch (failure) {
    throw new CallError("UNAVAILABLE", `the gateway at ${location.origin} could not be reached (${failure.message})`);
  }
  const body = await response.text();
  if (response.ok) {
    try {
      return JSON.parse(body);
    } catch {
      throw new CallError("INTERNAL", `the answer of ${method} is not JSON`);
    }
  }
  throw errorFrom(response.status, body);
}

// A Connect error is JSON {"code": "invalid_argument", "message": ..., "details": [...]}; a body
// that is not (a proxy's error page) is named by its HTTP status, as the Connect protocol maps it.
function errorFrom(status, body) {
  try {
    const error = JSON.parse(body);
    if (error && typeof error.code === "string") {
      // Connect spells one code differently from gRPC: "canceled".
      const code = error.code === "canceled" ? "CANCELLED" : error.code.toUpperCase();
      return new CallError(code, String(error.message ?? ""), error.details ?? []);
    }
  } catch {
    // not JSON: fall through to the HTTP status
  }
  const byStatus = { 400: "INTERNAL", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "UNIMPLEMENTED",
    429: "UNAVAILABLE", 502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "UNAVAILABLE" };
  return new CallError(byStatus[status] ?? "UNKNOWN", `HTTP ${status} without a Connect error`);
}

/** An entity with every offset present (the JSON mapping leaves out zeros). */
export function entityOf(json) {
  return {
    text: json.text ?? "",
    label: json.label ?? "",
    startChar: json.startChar ?? 0,
    endChar: json.endChar ?? 0,
    startByte: json.startByte ?? 0,
    endByte: json.endByte ?? 0,
    startUtf16: json.startUtf16 ?? 0,
    endUtf16: json.endUtf16 ?? 0,
    startToken: json.startToken ?? 0,
    endToken: json.endToken ?? 0,
  };
}
