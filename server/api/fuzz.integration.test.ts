/**
 * Fuzzing every public entry point through its real route handler, against real Postgres and a
 * real sandbox vendor: every tRPC procedure (enumerated from the router, so a new one is fuzzed
 * without touching this file) and the sandbox webhook route, whose hostile bodies are also signed
 * with the test's secret so that they get past the signature check.
 *
 * Each input must be answered below 500; a refusal must be a typed tRPC error whose HTTP status
 * matches its code; a refused call changes no row (rate-limit hits excepted: counting a refusal
 * is what a limit does). FUZZ_RUNS=<n> runs n inputs per target (default 40).
 */
import { randomBytes, randomUUID } from "node:crypto";
import fc from "fast-check";
import type { Session } from "next-auth";
import superjson from "superjson";
import { afterAll, describe, expect, it, vi } from "vitest";
import { setupTestDb } from "@/test/database";
import { setupTestSandbox } from "@/test/sandbox";
import { signPayload } from "@/server/connectors/sandbox/webhook-signature";
import { SANDBOX_NETWORK_IDS } from "@/sandbox/networks";
import { MOOD_IDS } from "@/server/sync/moods";
import { PROFILE_FIELDS } from "@/server/sync/state";

const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
// FUZZ_SEED: the same inputs every time (CI's bounded long run); unset, new ones each run.
if (process.env.FUZZ_SEED) fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: Number(process.env.FUZZ_SEED) });
const WEBHOOK_SECRET = `fuzz-${randomBytes(16).toString("hex")}`;

// The route reads the session through next-auth, which needs a Next request scope; the session
// is the one thing the test decides. Everything after it (context, procedures, error formatting,
// the HTTP status) is the code the portal runs.
const signedIn = vi.hoisted(() => ({ session: null as Session | null }));
vi.mock("@/server/auth/options", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@/server/auth/options")>()),
  getServerAuthSession: async () => signedIn.session,
}));

const { db, url } = await setupTestDb();
const sandbox = await setupTestSandbox();
vi.resetModules();
vi.stubEnv("DATABASE_URL", url);
vi.stubEnv("SANDBOX_URL", sandbox.url);
vi.stubEnv("SANDBOX_WEBHOOK_SECRET", WEBHOOK_SECRET);
const trpcRoute = await import("@/app/api/trpc/[trpc]/route");
const webhookRoute = await import("@/app/api/webhooks/[network]/route");
const { appRouter } = await import("./root");
afterAll(async () => {
  vi.unstubAllEnvs();
  await (await import("@/server/db")).db.$disconnect();
});

// ---------------------------------------------------------------------------------------------
// Who calls: nobody, a person with linked accounts and history, an admin.

const sessionOf = (user: { id: string; email: string; role: "USER" | "ADMIN" }): Session => ({
  user: { id: user.id, email: user.email, role: user.role },
  expires: new Date(Date.now() + 3600_000).toISOString(),
});

async function trpc(
  session: Session | null,
  path: string,
  input: unknown,
  kind: "query" | "mutation",
): Promise<{ status: number; body: unknown }> {
  signedIn.session = session;
  const encoded = JSON.stringify(superjson.serialize(input));
  const response = await trpcRoute[kind === "query" ? "GET" : "POST"](
    new Request(
      `http://localhost/api/trpc/${path}` + (kind === "query" ? `?input=${encodeURIComponent(encoded)}` : ""),
      kind === "query" ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: encoded },
    ),
  );
  return { status: response.status, body: await response.json() };
}

async function ok<T>(session: Session | null, path: string, input: unknown, kind: "query" | "mutation") {
  const answer = await trpc(session, path, input, kind);
  if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return (answer.body as { result: { data: { json: T } } }).result.data.json;
}

// A real password, so that a fitting auth.changePassword goes all the way through.
const PASSWORDS = ["0123456789ab", "0123456789abcdef"];
const signedUp = await ok<{ id: string }>(
  null,
  "auth.signUp",
  { email: "fuzz-person@example.com", password: PASSWORDS[0] },
  "mutation",
);
const person = await db.user.findUniqueOrThrow({ where: { id: signedUp.id } });
const admin = await db.user.create({ data: { email: "fuzz-admin@example.com", passwordHash: "x", role: "ADMIN" } });
const PERSON = sessionOf(person);
const ADMIN = sessionOf(admin);
const LOGINS = { qq: "80001", msn: "fuzz@msn.example" } as const;
const SECRET = "sandbox-password-1";
const accountIds: string[] = [];
for (const [networkId, login] of Object.entries(LOGINS)) {
  await sandbox.createAccount(networkId as keyof typeof LOGINS, login, SECRET);
  const account = await ok<{ id: string }>(
    PERSON,
    "registration.link",
    { networkId, login, secret: SECRET, consent: true },
    "mutation",
  );
  accountIds.push(account.id);
}
await ok(PERSON, "profile.update", { displayName: "Fuzz", signature: "hello" }, "mutation");
const deliveryIds = (
  await ok<{ deliveries: { id: string }[] }[]>(PERSON, "activity.list", { limit: 10 }, "query")
).flatMap((update) => update.deliveries.map((delivery) => delivery.id));
expect(deliveryIds.length).toBeGreaterThan(0);

// ---------------------------------------------------------------------------------------------
// Rows: a fingerprint of every table but the rate-limit hits.

const tables = (
  await db.$queryRawUnsafe<{ name: string }[]>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('rate_limit_hits', '_prisma_migrations') ORDER BY 1`,
  )
).map((row) => row.name);
expect(tables).toContain("users");
const FINGERPRINT_SQL = `SELECT ${tables
  .map((name) => `(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM "${name}" t) AS "${name}"`)
  .join(", ")}`;

async function fingerprint(): Promise<Record<string, string>> {
  const [row] = await db.$queryRawUnsafe<Record<string, string>[]>(FINGERPRINT_SQL);
  return row!;
}

// ---------------------------------------------------------------------------------------------
// Inputs.

/** A string too long to print: shown in a counterexample by its recipe, not its 100k characters. */
class Huge {
  constructor(
    readonly unit: string,
    readonly times: number,
  ) {}
  [fc.toStringMethod]() {
    return `${JSON.stringify(this.unit)}.repeat(${this.times})`;
  }
}
/** superjson refuses to serialise these keys; the server must cope with them all the same. */
const POLLUTING_KEYS = ["__proto__", "constructor", "prototype"];
const standIn = (key: string) => `fuzz-stand-in-${key}`;
/** The value to send: every Huge spelled out, polluting keys under a stand-in name. */
function materialise(value: unknown, depth = 0): unknown {
  if (value instanceof Huge) return value.unit.repeat(value.times);
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => materialise(item, depth + 1));
  // Keys too: a Map's key may be an object holding a polluting key (seed -197808826 made one, and
  // the test's own superjson.serialize refused it before anything was sent).
  if (value instanceof Map) {
    return new Map([...value].map(([key, item]) => [materialise(key, depth + 1), materialise(item, depth + 1)]));
  }
  if (value instanceof Set) return new Set([...value].map((item) => materialise(item, depth + 1)));
  if (![Object.prototype, null].includes(Object.getPrototypeOf(value))) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[POLLUTING_KEYS.includes(key) ? standIn(key) : key] = materialise(item, depth + 1);
  }
  return out;
}

const SPECIAL_CHARS = [
  "\u0000",
  "\u0007",
  "\u001b",
  "\u007f",
  "\u202e",
  "\u2066",
  "\u200b",
  "\ufeff",
  "\ud800",
  "\udfff",
];
const hostileString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc
    .array(fc.oneof(fc.constantFrom(...SPECIAL_CHARS, "\n", "\r\n", "\t", "é", "👩‍👩‍👧", "a"), fc.string()), {
      maxLength: 12,
    })
    .map((parts) => parts.join("")),
  fc.constantFrom(
    "",
    " ",
    "__proto__",
    "constructor",
    "'; DROP TABLE users; --",
    "../../etc/passwd",
    "%00",
    "${7*7}",
    "<script>alert(1)</script>",
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
  ),
  fc.uuid(),
  fc.constantFrom(
    new Huge("A", 100_000),
    new Huge("\u0000", 100_000),
    new Huge("👩‍👩‍👧", 20_000),
    new Huge("\u202e", 10_000),
    new Huge("a\u0301", 50_000),
  ),
);
const hostileNumber = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, -1, 1e308, 2 ** 31, 2 ** 53 + 2, Number.MIN_VALUE, 0.5),
  fc.double(),
  fc.integer(),
  fc.bigInt(),
);
function nested(depth: number, leaf: unknown, asArray: boolean): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = asArray ? [value] : { a: value };
  return value;
}
const deep = fc
  .tuple(fc.constantFrom(50, 500), fc.boolean(), fc.constantFrom<unknown>("x", 1, null, {}))
  .map(([depth, asArray, leaf]) => nested(depth, leaf, asArray));
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  hostileNumber,
  deep,
  fc.constantFrom(null, undefined, true, false, [], {}, new Date(NaN), new Date(8.64e15), new Map(), new Set([1])),
  fc.anything({ maxDepth: 3, withBigInt: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true }),
);

/** Values each input field takes when it is used as meant (so the hostile ones reach the core). */
const fitting: Record<string, fc.Arbitrary<unknown>> = {
  email: fc.oneof(fc.emailAddress(), fc.constant("fuzz-person@example.com")),
  password: fc.constantFrom(...PASSWORDS, "correct horse battery staple"),
  currentPassword: fc.constantFrom(...PASSWORDS, "x"),
  newPassword: fc.constantFrom(...PASSWORDS),
  query: fc.constantFrom("", "fuzz", "%", "_"),
  networkId: fc.constantFrom(...SANDBOX_NETWORK_IDS, "myspace"),
  isEnabled: fc.boolean(),
  login: fc.constantFrom(...Object.values(LOGINS), "nobody"),
  secret: fc.constantFrom(SECRET, "wrong-password"),
  consent: fc.constant(true),
  accountId: fc.constantFrom(...accountIds),
  deliveryId: fc.constantFrom(...deliveryIds),
  fields: fc.dictionary(fc.constantFrom(...PROFILE_FIELDS), fc.boolean()),
  limit: fc.integer({ min: 1, max: 100 }),
  displayName: fc.string({ maxLength: 20 }),
  signature: fc.string({ maxLength: 40 }),
  mood: fc.constantFrom(...MOOD_IDS, null),
  moodText: fc.string({ maxLength: 20 }),
  avatarBase64: fc.constant(null),
  reason: fc.constantFrom("fuzzing the admin actions", "x"),
  isPaused: fc.boolean(),
};

/** The top-level keys a procedure's input schema names (zod objects expose their shape). */
function inputKeys(procedure: { _def: { inputs: unknown[] } }): string[] {
  return procedure._def.inputs.flatMap((schema) => {
    const shape = (schema as { shape?: Record<string, unknown> }).shape;
    return shape ? Object.keys(shape) : [];
  });
}

/** An object with the procedure's keys, each fitting or hostile, plus unknown and polluting keys. */
function shapedInput(keys: string[]): fc.Arbitrary<unknown> {
  const known = fc.record(
    Object.fromEntries(keys.map((key) => [key, fc.oneof(fitting[key] ?? hostileValue, hostileValue)])),
    { requiredKeys: [] },
  );
  const extra = fc.dictionary(
    fc.oneof(fc.constantFrom("__proto__", "constructor", "prototype", "role", "userId", "id"), fc.string()),
    hostileValue,
    { maxKeys: 3 },
  );
  return fc.tuple(known, fc.option(extra, { nil: undefined })).map(([value, more]) => {
    const out = { ...value };
    // defineProperty: "__proto__" becomes an own key, as JSON.parse on the server makes it.
    for (const [key, item] of Object.entries(more ?? {})) {
      Object.defineProperty(out, key, { value: item, enumerable: true, writable: true });
    }
    return out;
  });
}

/** Every key fitting but one, which is hostile or missing: the hostile value reaches the core. */
function oneHostileField(keys: string[]): fc.Arbitrary<unknown> | undefined {
  if (keys.length === 0 || !keys.every((key) => fitting[key])) return undefined;
  return fc
    .tuple(
      fc.record(Object.fromEntries(keys.map((key) => [key, fitting[key]!]))),
      fc.constantFrom(...keys),
      fc.option(hostileValue, { nil: undefined, freq: 8 }),
    )
    .map(([valid, key, hostile]) => {
      const out: Record<string, unknown> = { ...valid };
      if (hostile === undefined) delete out[key];
      else out[key] = hostile;
      return out;
    });
}

/** A request body or ?input= text that was never superjson: raw JSON, broken JSON, hostile meta. */
const rawText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.json({ maxDepth: 3 }),
  fc.constantFrom(
    "",
    "{",
    "null",
    '{"json":{"__proto__":{"role":"ADMIN"}}}',
    '{"json":{"constructor":{"prototype":{"role":"ADMIN"}}}}',
    '{"json":{"a":1},"meta":{"values":{"a":["Date"]}}}',
    '{"json":{"a":"x"},"meta":{"values":{"a":["bigint"]}}}',
    '{"json":{"a":"x"},"meta":{"values":{"a":[["class","Nope"]]}}}',
    '{"json":{"a":"x"},"meta":{"values":{"__proto__.polluted":["undefined"]}}}',
    '{"json":{},"meta":{"referentialEqualities":{"":["__proto__"]}}}',
    '{"json":[1],"meta":{"values":[["map"]]}}',
    '{"json":"x","meta":{"values":["regexp"]}}',
    '{"0":{"json":{}}}',
  ),
);

type TProcedure = { _def: { type: "query" | "mutation" | "subscription"; inputs: unknown[] } };
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, TProcedure>);

/** One call as the browser (or an attacker) would make it. */
interface TCall {
  session: "visitor" | "person" | "admin";
  input: { kind: "value"; value: unknown } | { kind: "raw"; text: string };
  contentType: string | undefined;
  wrongMethod: boolean;
}

function callArbitrary(keys: string[]): fc.Arbitrary<TCall> {
  return fc.record({
    session: fc.constantFrom("visitor", "person", "admin"),
    input: fc.oneof(
      { weight: 4, arbitrary: shapedInput(keys).map((value) => ({ kind: "value" as const, value })) },
      {
        weight: oneHostileField(keys) ? 4 : 0,
        arbitrary: (oneHostileField(keys) ?? fc.constant({})).map((value) => ({ kind: "value" as const, value })),
      },
      { weight: 2, arbitrary: hostileValue.map((value) => ({ kind: "value" as const, value })) },
      { weight: 1, arbitrary: rawText.map((text) => ({ kind: "raw" as const, text })) },
    ),
    contentType: fc.oneof(
      { weight: 6, arbitrary: fc.constant("application/json") },
      {
        weight: 1,
        arbitrary: fc.constantFrom(undefined, "text/plain", "multipart/form-data", "application/octet-stream"),
      },
    ),
    wrongMethod: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  });
}

/** A path segment as a client sends it: every byte percent-encoded (a lone surrogate as U+FFFD). */
const encodeSegment = (text: string) =>
  Array.from(Buffer.from(text), (byte) => `%${byte.toString(16).padStart(2, "0")}`).join("");
/** Percent-encodings that decode to no valid text, for paths. */
const BROKEN_ENCODINGS = ["%ED%A0%80", "%FF", "%", "%E0%A4%A", "%00", "%2F..%2F"];

const SESSIONS = { visitor: null, person: PERSON, admin: ADMIN };
const ERROR_STATUS: Record<string, number> = {
  BAD_REQUEST: 400,
  PARSE_ERROR: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_SUPPORTED: 405,
  TIMEOUT: 408,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE_CONTENT: 422,
  TOO_MANY_REQUESTS: 429,
  CLIENT_CLOSED_REQUEST: 499,
};

/** Sends one call through the route; returns its status and parsed body. */
async function send(path: string, type: TProcedure["_def"]["type"], call: TCall) {
  signedIn.session = SESSIONS[call.session];
  const text =
    call.input.kind === "raw"
      ? call.input.text
      : POLLUTING_KEYS.reduce(
          (json, key) => json.replaceAll(standIn(key), key),
          JSON.stringify(superjson.serialize(materialise(call.input.value))),
        );
  const asQuery = (type !== "mutation") !== call.wrongMethod;
  const abort = new AbortController();
  const headers = call.contentType ? { "content-type": call.contentType } : undefined;
  const request = asQuery
    ? new Request(`http://localhost/api/trpc/${path}?input=${encodeURIComponent(text)}`, {
        headers,
        signal: abort.signal,
      })
    : new Request(`http://localhost/api/trpc/${path}`, { method: "POST", headers, body: text, signal: abort.signal });
  const response = await trpcRoute[asQuery ? "GET" : "POST"](request);
  if (response.headers.get("content-type")?.startsWith("text/event-stream")) {
    // A subscription that started: its stream never ends by itself.
    abort.abort();
    await response.body?.cancel();
    return { status: response.status, body: null, text: "" };
  }
  const bodyText = await response.text();
  return { status: response.status, body: JSON.parse(bodyText) as unknown, text: bodyText };
}

/** The error a refused call answers with, whatever its shape (single or batch). */
function errorCodeOf(body: unknown): { code?: unknown; httpStatus?: unknown } | undefined {
  const one = Array.isArray(body) ? body[0] : body;
  return (one as { error?: { json?: { data?: { code?: unknown; httpStatus?: unknown } } } } | undefined)?.error?.json
    ?.data;
}

const tried: Record<string, number> = {};

/** Runs the property over FUZZ_RUNS inputs; prints how many were tried and how they were answered. */
async function fuzz<T>(target: string, arbitrary: fc.Arbitrary<T>, check: (input: T) => Promise<number>) {
  tried[target] = 0;
  const statuses: Record<number, number> = {};
  const details = await fc.check(
    fc.asyncProperty(arbitrary, async (input) => {
      tried[target]! += 1;
      const status = await check(input);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }),
    { numRuns: RUNS },
  );
  const answers = Object.entries(statuses).map(([status, count]) => `${status}×${count}`);
  console.log(`fuzz ${target}: ${tried[target]} inputs (${answers.join(", ")})`);
  if (details.failed) {
    const message = `${fc.defaultReportMessage(details) ?? ""}\n${String(details.errorInstance)}`;
    throw new Error(message.length > 6000 ? `${message.slice(0, 3000)}…${message.slice(-3000)}` : message);
  }
}

// ---------------------------------------------------------------------------------------------

describe("inputs the fuzzing found", () => {
  it("answers a value the database refuses (a NUL in a search) with 400, not 500", async () => {
    for (const [path, input, kind] of [
      ["admin.users", { query: "a\u0000b" }, "query"],
      ["admin.setNetworkEnabled", { networkId: "\u0000", isEnabled: false, reason: "maintenance" }, "mutation"],
    ] as const) {
      const before = await fingerprint();
      const { status, body } = await trpc(ADMIN, path, input, kind);
      expect(status, path).toBe(400);
      expect((body as { error: { json: { message: string } } }).error.json.message).toBe(
        "Some of what you sent cannot be stored. Please remove unusual characters and try again.",
      );
      expect(await fingerprint()).toEqual(before);
    }
  });

  it("answers registration.setFields for an account that does not exist (any more) with 404, not 500", async () => {
    const before = await fingerprint();
    const { status } = await trpc(
      PERSON,
      "registration.setFields",
      { accountId: randomUUID(), fields: { avatar: true } },
      "mutation",
    );
    expect(status).toBe(404);
    expect(await fingerprint()).toEqual(before);
  });
});

describe("the sandbox webhook route's body", () => {
  it("is read no further than the event limit, however much is streamed", async () => {
    const chunk = new Uint8Array(1024 * 1024).fill(0x20);
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= 64 * chunk.byteLength) return controller.close();
        pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const before = await fingerprint();
    const response = await webhookRoute.POST(
      new Request("http://localhost/api/webhooks/qq", { method: "POST", body, duplex: "half" } as RequestInit),
      { params: Promise.resolve({ network: "qq" }) },
    );
    expect(response.status).toBe(413);
    expect(pulled).toBeLessThanOrEqual(4 * chunk.byteLength);
    expect(await fingerprint()).toEqual(before);
  });
});

describe("fuzzing every tRPC procedure over its route", () => {
  it("enumerates the router's procedures", () => {
    expect(procedures.map(([path]) => path)).toEqual(
      expect.arrayContaining(["auth.signUp", "profile.update", "registration.link", "activity.retry"]),
    );
  });

  for (const [path, procedure] of procedures) {
    it(`${path}: never a 500, a typed 4xx for every refusal, no row changed by one`, async () => {
      await fuzz(path, callArbitrary(inputKeys(procedure)), async (call) => {
        const before = await fingerprint();
        const { status, body, text } = await send(path, procedure._def.type, call);
        expect(status, text.slice(0, 500)).toBeLessThan(500);
        if (status >= 400) {
          const data = errorCodeOf(body);
          expect(data?.code, text.slice(0, 500)).toBeTypeOf("string");
          expect(ERROR_STATUS[data!.code as string], text.slice(0, 500)).toBe(status);
          expect(data?.httpStatus).toBe(status);
          expect(await fingerprint()).toEqual(before);
        }
        return status;
      });
    });
  }
});

describe("fuzzing batched tRPC calls", () => {
  const queries = procedures.filter(([, procedure]) => procedure._def.type === "query").map(([path]) => path);
  const mutations = procedures.filter(([, procedure]) => procedure._def.type === "mutation").map(([path]) => path);

  it("answers every batch below 500, each refusal typed, no row changed by a wholly refused one", async () => {
    const batch = fc.record({
      session: fc.constantFrom("visitor", "person", "admin"),
      kind: fc.constantFrom("query", "mutation"),
      paths: fc.array(
        fc.oneof(fc.constantFrom(...queries, ...mutations), hostileString, fc.constantFrom(...BROKEN_ENCODINGS)),
        {
          minLength: 1,
          maxLength: 5,
        },
      ),
      inputs: fc.array(fc.oneof(shapedInput(["query", "limit", "accountId", "deliveryId", "email"]), hostileValue), {
        maxLength: 5,
      }),
    });
    await fuzz("batch", batch, async ({ session, kind, paths, inputs }) => {
      signedIn.session = SESSIONS[session as keyof typeof SESSIONS];
      const text = POLLUTING_KEYS.reduce(
        (json, key) => json.replaceAll(standIn(key), key),
        JSON.stringify(
          Object.fromEntries(inputs.map((input, index) => [index, superjson.serialize(materialise(input))])),
        ),
      );
      const pathText = paths
        .map((path) =>
          BROKEN_ENCODINGS.includes(path as string)
            ? (path as string)
            : encodeSegment(path instanceof Huge ? path.unit.repeat(Math.min(path.times, 2000)) : (path as string)),
        )
        .join(",");
      const before = await fingerprint();
      const response = await trpcRoute[kind === "query" ? "GET" : "POST"](
        kind === "query"
          ? new Request(`http://localhost/api/trpc/${pathText}?batch=1&input=${encodeURIComponent(text)}`)
          : new Request(`http://localhost/api/trpc/${pathText}?batch=1`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: text,
            }),
      );
      const bodyText = await response.text();
      expect(response.status, bodyText.slice(0, 500)).toBeLessThan(500);
      const items = [JSON.parse(bodyText) as unknown].flat();
      for (const item of items) {
        const data = errorCodeOf(item);
        if (data === undefined) continue;
        expect(data.code, bodyText.slice(0, 500)).not.toBe("INTERNAL_SERVER_ERROR");
        expect(ERROR_STATUS[data.code as string], bodyText.slice(0, 500)).toBeGreaterThanOrEqual(400);
      }
      if (response.status >= 400) expect(await fingerprint()).toEqual(before);
      return response.status;
    });
  });
});

describe("fuzzing the sandbox webhook route", () => {
  const headerText = fc.string({
    unit: fc.constantFrom(..." !#$%&'()*+,-./0123456789:;=?@AZaz[]^_`{|}~v"),
    maxLength: 80,
  });
  const now = () => Math.floor(Date.now() / 1000);
  const envelope = fc
    .record(
      {
        id: fc.oneof(
          fc.uuid().map((uuid) => `evt_${uuid}`),
          hostileString,
        ),
        network: fc.oneof(fc.constantFrom<unknown>(...SANDBOX_NETWORK_IDS), hostileValue),
        login: fc.oneof(fc.constantFrom<unknown>(...Object.values(LOGINS)), hostileValue),
        profile: fc.oneof(
          fc.record({ displayName: hostileValue, signature: hostileValue, mood: hostileValue }, { requiredKeys: [] }),
          hostileValue,
          fc.constant(nested(2_000, "x", false)),
        ),
      },
      { requiredKeys: [] },
    )
    .chain((value) =>
      fc
        .dictionary(fc.oneof(fc.constantFrom(...POLLUTING_KEYS), fc.string()), hostileValue, { maxKeys: 2 })
        .map((more) => {
          const out: Record<string, unknown> = { ...value };
          for (const [key, item] of Object.entries(more)) {
            Object.defineProperty(out, key, { value: item, enumerable: true, writable: true });
          }
          return out;
        }),
    );
  const asJson = (value: unknown) =>
    POLLUTING_KEYS.reduce(
      (json, key) => json.replaceAll(standIn(key), key),
      JSON.stringify(materialise(value), (_key, item: unknown) =>
        typeof item === "bigint" ? item.toString() : item instanceof Map || item instanceof Set ? [...item] : item,
      ) ?? "null",
    );
  const webhookCall = fc.record({
    network: fc.oneof(
      { weight: 4, arbitrary: fc.constant("qq") },
      { weight: 1, arbitrary: fc.constantFrom(...SANDBOX_NETWORK_IDS) },
      { weight: 1, arbitrary: hostileString },
    ),
    body: fc.oneof(
      { weight: 4, arbitrary: envelope.map(asJson) },
      {
        weight: 4,
        arbitrary: fc
          .tuple(
            fc.uuid(),
            fc.constantFrom(...Object.values(LOGINS), "nobody"),
            fc.constantFrom("id", "login", "profile", "displayName", "signature", "mood", "avatarUrl"),
            hostileValue,
          )
          .map(([uuid, login, key, hostile]) => {
            const event: Record<string, unknown> = {
              id: `evt_${uuid}`,
              network: "qq",
              login,
              profile: { displayName: "Web", signature: "sig", mood: "happy" },
            };
            if (key in event) event[key] = hostile;
            else (event.profile as Record<string, unknown>)[key] = hostile;
            return asJson(event);
          }),
      },
      { weight: 1, arbitrary: hostileValue.map(asJson) },
      { weight: 1, arbitrary: rawText },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          "[".repeat(100_000),
          `{"id":"evt_deep","network":"qq","login":"80001","profile":${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}}`,
          `{"id":"evt_deep","network":"qq","login":"80001","profile":${"[".repeat(100_000)}${"]".repeat(100_000)}}`,
          "\u0000",
          "\ufeff{}",
        ),
      },
    ),
    signing: fc.oneof(
      { weight: 6, arbitrary: fc.constant({ kind: "signed" as const, skew: 0 }) },
      {
        weight: 1,
        arbitrary: fc.integer({ min: -100_000, max: 100_000 }).map((skew) => ({ kind: "signed" as const, skew })),
      },
      {
        weight: 1,
        arbitrary: fc
          .record({ timestamp: fc.option(headerText), signature: fc.option(headerText) })
          .map((headers) => ({ kind: "forged" as const, ...headers })),
      },
    ),
  });

  it("answers every body below 500, refusals with 4xx and no row changed, signed or not", async () => {
    await fuzz("webhook", webhookCall, async ({ network, body, signing }) => {
      const text = typeof body === "string" ? body : asJson(body);
      const headers = new Headers();
      if (signing.kind === "signed") {
        const timestamp = now() + signing.skew;
        headers.set("x-sandbox-timestamp", String(timestamp));
        headers.set("x-sandbox-signature", signPayload(WEBHOOK_SECRET, timestamp, text));
      } else {
        if (signing.timestamp !== null) headers.set("x-sandbox-timestamp", signing.timestamp);
        if (signing.signature !== null) headers.set("x-sandbox-signature", signing.signature);
      }
      const path = network instanceof Huge ? network.unit.repeat(Math.min(network.times, 2000)) : network;
      const before = await fingerprint();
      const response = await webhookRoute.POST(
        new Request(`http://localhost/api/webhooks/${encodeSegment(path)}`, {
          method: "POST",
          headers,
          body: text,
        }),
        { params: Promise.resolve({ network: path }) },
      );
      const answer = await response.text();
      expect(response.status, answer.slice(0, 500)).toBeLessThan(500);
      expect((JSON.parse(answer) as { message?: unknown }).message).toBeTypeOf("string");
      if (response.status >= 400) expect(await fingerprint()).toEqual(before);
      return response.status;
    });
  });
});

afterAll(() => {
  const total = Object.values(tried).reduce((sum, count) => sum + count, 0);
  console.log(`fuzz total: ${total} inputs over ${Object.keys(tried).length} targets (FUZZ_RUNS=${RUNS})`);
});
