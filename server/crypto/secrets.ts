/**
 * Encryption of stored credentials: AES-256-GCM (Node's crypto), a fresh 96-bit IV per message,
 * and associated data that binds a ciphertext to its row, so one account's secret cannot be
 * pasted into another's. Every envelope names its key, so keys can rotate: the newest key
 * encrypts, any configured key decrypts, and `npm run keys:rotate` re-encrypts.
 *
 * Envelope: "v1.<key id>.<iv>.<tag>.<ciphertext>" (base64url parts).
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

export interface TKeyring {
  current: { id: string; key: Buffer };
  byId: Map<string, Buffer>;
}

function parseKey(spec: string): { id: string; key: Buffer } {
  const [id, material] = spec.trim().split(":");
  const key = Buffer.from(material ?? "", "base64");
  if (!id || key.length !== 32) throw new Error("An encryption key must be <id>:<32 bytes in base64>.");
  return { id, key };
}

/** The current key plus older ones still accepted for decryption. */
export function createKeyring(current: string, older: string | undefined): TKeyring {
  const primary = parseKey(current);
  const byId = new Map<string, Buffer>();
  for (const spec of older ? older.split(",") : []) {
    const { id, key } = parseKey(spec);
    byId.set(id, key);
  }
  byId.set(primary.id, primary.key);
  return { current: primary, byId };
}

export class DecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DecryptionError";
  }
}

export function encryptSecret(keyring: TKeyring, plaintext: string, associatedData: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyring.current.key, iv);
  cipher.setAAD(Buffer.from(associatedData, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [
    "v1",
    keyring.current.id,
    iv.toString("base64url"),
    tag.toString("base64url"),
    ciphertext.toString("base64url"),
  ].join(".");
}

/** The key id an envelope was made with. */
export function keyIdOf(envelope: string): string {
  return envelope.split(".")[1] ?? "";
}

export function decryptSecret(keyring: TKeyring, envelope: string, associatedData: string): string {
  const [version, keyId, iv, tag, ciphertext] = envelope.split(".");
  if (version !== "v1" || !keyId || !iv || !tag || ciphertext === undefined) {
    throw new DecryptionError("Unknown credential envelope.");
  }
  const key = keyring.byId.get(keyId);
  if (!key) throw new DecryptionError(`Encryption key "${keyId}" is not configured.`);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(associatedData, "utf8"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    throw new DecryptionError("Credentials could not be decrypted (wrong key or tampered data).");
  }
}
