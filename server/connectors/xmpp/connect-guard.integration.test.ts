/**
 * Where a session may connect: only the address the caller checked (client.ts checks every address
 * a name resolves to). Fake servers on loopback play a hostile XMPP server: one that redirects the
 * stream elsewhere (`see-other-host`), and one reached over IPv6.
 */
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { ConnectorError } from "../types";
import { connectXmpp } from "./protocol";

const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A TCP server on `host` that hands each connection to `onSocket`; returns its port and connections. */
async function fakeServer(host: string, onSocket: (socket: Socket) => void) {
  const connections: Socket[] = [];
  const server = createServer((socket) => {
    connections.push(socket);
    onSocket(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { port: (server.address() as AddressInfo).port, connections };
}

/** A login attempt at one address (the fake servers never let it succeed). */
const loginAt = (host: string, port: number) =>
  connectXmpp({
    jid: "ada@oneprofile.test",
    password: "pw",
    host,
    port,
    isInsecureLoopbackAllowed: true,
    timeoutMs: 2_000,
  });

const STREAM_HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' " +
  "id='fake' from='oneprofile.test' version='1.0'>";

describe("an XMPP session connects only where it was told", () => {
  it("refuses a see-other-host redirect instead of following it", async () => {
    const elsewhere = await fakeServer("127.0.0.1", (socket) => socket.destroy());
    const redirecting = await fakeServer("127.0.0.1", (socket) => {
      socket.once("data", () => {
        socket.write(
          `${STREAM_HEADER}<stream:error><see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>` +
            `127.0.0.1:${elsewhere.port}</see-other-host></stream:error></stream:stream>`,
        );
        socket.end();
      });
    });
    await expect(loginAt("127.0.0.1", redirecting.port)).rejects.toBeInstanceOf(ConnectorError);
    expect(redirecting.connections.length).toBeGreaterThanOrEqual(1);
    // Before: @xmpp/connection connected to the named host, checked by nobody.
    expect(elsewhere.connections).toHaveLength(0);
  });

  it("reaches an IPv6 address (the socket gets it without brackets)", async () => {
    // ::ffff:127.0.0.1 is IPv6 to the URL and the socket, and lands on an IPv4 loopback listener
    // (::1 would not show the fault: @xmpp/connection strips the brackets of [::1] alone).
    const server = await fakeServer("127.0.0.1", (socket) => {
      socket.once("data", () => socket.end());
    });
    await expect(loginAt("::ffff:127.0.0.1", server.port)).rejects.toBeInstanceOf(ConnectorError);
    // Before: net.connect was given "[::1]" for a name and never connected.
    expect(server.connections.length).toBeGreaterThanOrEqual(1);
  });
});

describe("a server that goes away while the stream opens", () => {
  it("fails the login, and leaves no promise to reject unhandled (a worker crash)", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      // It takes the connection and closes it before answering the stream, then stops listening:
      // the client's reconnect (a second later, while the login still waits for the stream) is refused.
      const server = createServer((socket) => {
        server.close();
        socket.destroy();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const { port } = server.address() as AddressInfo;
      await expect(
        connectXmpp({
          jid: "ada@oneprofile.test",
          password: "pw",
          host: "127.0.0.1",
          port,
          isInsecureLoopbackAllowed: true,
          timeoutMs: 2_500,
        }),
      ).rejects.toBeInstanceOf(ConnectorError);
      // Before: @xmpp/connection's online promise rejected with ECONNREFUSED and nobody listening.
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.removeListener("unhandledRejection", onUnhandled);
    }
  });
});
