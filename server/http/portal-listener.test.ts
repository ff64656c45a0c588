import { once } from "node:events";
import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { clientAddress } from "./client-address";
import { HSTS_VALUE, withTrustedClient } from "./portal-listener";

let server: Server | undefined;
afterEach(() => server?.close());

/** The portal's listener in front of a handler that records the headers it was given. */
async function start(options: { trustedProxyHops: number; isPublicHttps?: boolean }) {
  const seen: IncomingHttpHeaders[] = [];
  server = createServer(
    withTrustedClient(
      (req, res) => {
        seen.push({ ...req.headers });
        res.end("ok");
      },
      { isPublicHttps: false, ...options },
    ),
  );
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const send = (headers: Record<string, string>) =>
    new Promise<IncomingHttpHeaders>((resolve, reject) => {
      request({ host: "127.0.0.1", port, path: "/api/trpc/auth.signIn", headers }, (res) => {
        res.resume().on("end", () => resolve(res.headers));
      })
        .on("error", reject)
        .end();
    });
  return { seen, send };
}

describe("the portal's HTTP server", () => {
  it("hands on the connection's own address, whatever X-Forwarded-For a client forges", async () => {
    const { seen, send } = await start({ trustedProxyHops: 0 });
    for (let i = 0; i < 20; i++) {
      await send({
        "x-forwarded-for": `198.51.100.${i}, 10.0.0.${i}`,
        "x-real-ip": `192.0.2.${i}`,
        "x-forwarded-proto": "https",
        "x-forwarded-host": "evil.example",
      });
    }
    expect(seen).toHaveLength(20);
    for (const headers of seen) {
      expect(headers["x-forwarded-for"]).toBe("127.0.0.1");
      expect(clientAddress(headers)).toBe("127.0.0.1");
      expect(headers["x-real-ip"]).toBeUndefined();
      expect(headers["x-forwarded-proto"]).toBeUndefined();
      expect(headers["x-forwarded-host"]).toBeUndefined();
    }
  });

  it("behind one trusted proxy, takes the address that proxy appended and nothing left of it", async () => {
    const { seen, send } = await start({ trustedProxyHops: 1 });
    await send({ "x-forwarded-for": "1.2.3.4, 198.51.100.9", "x-forwarded-proto": "https" });
    await send({});
    expect(seen.map((headers) => headers["x-forwarded-for"])).toEqual(["198.51.100.9", "127.0.0.1"]);
    expect(seen[0]!["x-forwarded-proto"]).toBe("https");
  });

  it("sends HSTS only when the portal is reached over HTTPS", async () => {
    const direct = await start({ trustedProxyHops: 0 });
    expect((await direct.send({ "x-forwarded-proto": "https" }))["strict-transport-security"]).toBeUndefined();
    server?.close();
    const proxied = await start({ trustedProxyHops: 1 });
    expect((await proxied.send({ "x-forwarded-proto": "http" }))["strict-transport-security"]).toBeUndefined();
    expect((await proxied.send({ "x-forwarded-proto": "https" }))["strict-transport-security"]).toBe(HSTS_VALUE);
    server?.close();
    const httpsUrl = await start({ trustedProxyHops: 0, isPublicHttps: true });
    expect((await httpsUrl.send({}))["strict-transport-security"]).toBe(HSTS_VALUE);
  });
});

describe("a request that declares a body larger than any the portal takes", () => {
  it("is answered 413 before anything reads it, and the connection is closed", async () => {
    const { seen } = await start({ trustedProxyHops: 0 });
    const { port } = server!.address() as AddressInfo;
    const answer = await new Promise<{ status?: number; connection?: string }>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/api/trpc/auth.signUp",
          headers: { "content-type": "application/json", "content-length": String(300 * 1024 * 1024) },
        },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode, connection: res.headers.connection });
          req.destroy();
        },
      ).on("error", reject);
      // Starts sending, as a client uploading 300 MB would; the answer comes before the body.
      req.write(Buffer.alloc(64 * 1024));
    });
    expect(answer).toEqual({ status: 413, connection: "close" });
    expect(seen).toHaveLength(0);
  });
});
