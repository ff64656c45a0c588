import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCheckedFetch, PrivateAddressError, TooLargeError } from "./checked-fetch";

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === "/big") {
      // Streamed with no Content-Length: only counting the bytes can stop it.
      response.writeHead(200, { "content-type": "application/octet-stream" });
      for (let i = 0; i < 40; i++) response.write(Buffer.alloc(64 * 1024));
      response.end();
      return;
    }
    if (request.url === "/declared") {
      response.writeHead(200, { "content-length": String(5_000_000) }).end();
      return;
    }
    if (request.url === "/redirect") {
      response.writeHead(302, { location: "http://127.0.0.1:1/elsewhere" }).end();
      return;
    }
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => response.end(JSON.stringify({ method: request.method, body })));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(
    () => null,
    (failure: unknown) => failure,
  );
  expect(error, "the request was refused").not.toBeNull();
  let cause = error;
  while (cause && !(cause instanceof PrivateAddressError)) cause = (cause as { cause?: unknown }).cause;
  return cause;
}

describe("createCheckedFetch", () => {
  it("refuses a loopback address written as such", async () => {
    const { fetch, close } = createCheckedFetch({ isLoopbackAllowed: false, timeoutMs: 5000 });
    expect(await refusal(fetch(`http://127.0.0.1:${port}/`))).toBeInstanceOf(PrivateAddressError);
    expect(await refusal(fetch(`http://[::1]:${port}/`))).toBeInstanceOf(PrivateAddressError);
    await close();
  });

  it("refuses a name that resolves to loopback, at connect time", async () => {
    const { fetch, close } = createCheckedFetch({ isLoopbackAllowed: false, timeoutMs: 5000 });
    expect(await refusal(fetch(`http://localhost:${port}/`))).toBeInstanceOf(PrivateAddressError);
    await close();
  });

  it("reaches loopback when the test-only setting allows it, with the body, and follows no redirect", async () => {
    const { fetch, close } = createCheckedFetch({ isLoopbackAllowed: true, timeoutMs: 5000 });
    const byName = await fetch(`http://localhost:${port}/`, { method: "POST", body: "hello" });
    expect(await byName.json()).toEqual({ method: "POST", body: "hello" });
    const request = new Request(`http://127.0.0.1:${port}/`, { method: "PUT", body: "as a Request" });
    expect(await (await fetch(request)).json()).toEqual({ method: "PUT", body: "as a Request" });
    const redirect = await fetch(`http://127.0.0.1:${port}/redirect`);
    expect(redirect.status).toBe(302);
    await close();
  });

  it("cuts off an answer longer than its cap, counted or declared", async () => {
    const { fetch, close } = createCheckedFetch({ isLoopbackAllowed: true, timeoutMs: 5000, maxBytes: 1024 * 1024 });
    const streamed = await fetch(`http://127.0.0.1:${port}/big`);
    await expect(streamed.arrayBuffer()).rejects.toBeInstanceOf(TooLargeError);
    const declared = await fetch(`http://127.0.0.1:${port}/declared`).catch((error: unknown) => error);
    expect((declared as { cause?: unknown }).cause).toBeInstanceOf(TooLargeError);
    await close();
  });
});
