import { create, toBinary } from "@bufbuild/protobuf";
import { admission as pb, decodeTicketCode, type TicketCodeFacts } from "@ticketing/sdk";
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";

/** A ticket as its code states it. */
export interface CodedTicket {
  id: string;
  eventId: string;
  ticketTypeId: string;
  issuedAt: Date;
}

/** What a scanned code turned out to be, before the database has its say. */
export type CodeCheck =
  | { ok: true; ticket: TicketCodeFacts }
  | { ok: false; reason: "MALFORMED" | "UNKNOWN_KEY" | "BAD_SIGNATURE" };

/** The verification keys an offline scanner downloads. */
export interface PublicKeyInfo {
  keyId: string;
  publicKey: Uint8Array;
  signing: boolean;
}

/** A key's id: the first 8 hex digits of the SHA-256 of its raw public key, so the same key has the same id everywhere. */
const keyIdOf = (raw: Uint8Array) => createHash("sha256").update(raw).digest("hex").slice(0, 8);
const rawOf = (key: KeyObject) => new Uint8Array(Buffer.from(key.export({ format: "jwk" }).x as string, "base64url"));
const uuidBytes = (id: string) => new Uint8Array(Buffer.from(id.replace(/-/g, ""), "hex"));

/** A new Ed25519 signing key as PKCS#8 PEM. */
export function generateSigningKey(): string {
  return generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString();
}

/**
 * Signs ticket codes with one Ed25519 key and verifies them with that key and any earlier ones (rotation). The
 * signature is node:crypto's; the code is a TicketCode (payload + signature), base64url.
 */
export class KeyRing {
  readonly signingKeyId: string;
  readonly #signing: KeyObject;
  readonly #verifying = new Map<string, { key: KeyObject; raw: Uint8Array }>();

  /** `signingPem`: PKCS#8 PEM; `earlier`: raw public keys (base64url) of retired signing keys. */
  constructor(signingPem: string, earlier: readonly string[] = []) {
    this.#signing = createPrivateKey(signingPem);
    const pub = createPublicKey(this.#signing);
    this.signingKeyId = keyIdOf(rawOf(pub));
    this.#verifying.set(this.signingKeyId, { key: pub, raw: rawOf(pub) });
    for (const x of earlier) {
      const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
      const raw = rawOf(key);
      this.#verifying.set(keyIdOf(raw), { key, raw });
    }
  }

  /** The code of a ticket, signed with the current key. Deterministic: the same ticket and key give the same code. */
  codeOf(ticket: CodedTicket): string {
    const payload = toBinary(
      pb.TicketCodePayloadSchema,
      create(pb.TicketCodePayloadSchema, {
        ticketId: uuidBytes(ticket.id),
        eventId: uuidBytes(ticket.eventId),
        ticketTypeId: uuidBytes(ticket.ticketTypeId),
        keyId: this.signingKeyId,
        issuedAtSeconds: BigInt(Math.floor(ticket.issuedAt.getTime() / 1000)),
      }),
    );
    const signature = sign(null, payload, this.#signing);
    return Buffer.from(toBinary(pb.TicketCodeSchema, create(pb.TicketCodeSchema, { payload, signature }))).toString("base64url");
  }

  /** Decodes a code and checks its signature; says why when it is not a genuine code of this deployment. */
  check(code: string): CodeCheck {
    const decoded = decodeTicketCode(code);
    if (!decoded) return { ok: false, reason: "MALFORMED" };
    const key = this.#verifying.get(decoded.keyId);
    if (!key) return { ok: false, reason: "UNKNOWN_KEY" };
    if (!verify(null, decoded.payload, key.key, decoded.signature)) return { ok: false, reason: "BAD_SIGNATURE" };
    const { payload: _p, signature: _s, ...ticket } = decoded;
    return { ok: true, ticket };
  }

  publicKeys(): PublicKeyInfo[] {
    return [...this.#verifying].map(([keyId, { raw }]) => ({ keyId, publicKey: raw, signing: keyId === this.signingKeyId }));
  }
}
