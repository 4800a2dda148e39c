// The page's call written out as shell commands: curl to the gateway, grpcurl to the gRPC port.

/** One POSIX shell word: single quotes, each ' inside written as '\'' . */
export function shellQuote(word) {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/** curl, posting the same JSON to the same Connect endpoint. */
export function curlCommand(url, message) {
  return [
    "curl", "-sS", "-X", "POST", shellQuote(url),
    "-H", shellQuote("Content-Type: application/json"),
    "--data-raw", shellQuote(JSON.stringify(message)),
  ].join(" ");
}

/** grpcurl, sending the same message straight to the service (it has reflection). */
export function grpcurlCommand(target, service, method, message) {
  return [
    "grpcurl", "-plaintext", "-d", shellQuote(JSON.stringify(message)),
    shellQuote(target), shellQuote(`${service}/${method}`),
  ].join(" ");
}
