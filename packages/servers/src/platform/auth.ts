import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import { SignJWT, errors as joseErrors, jwtVerify } from "jose";
import { DomainError } from "./errors.js";

export type Role = "admin" | "customer" | "service";
export const ROLES: readonly Role[] = ["admin", "customer", "service"];

/** Who is calling, from the verified bearer token and nothing else. */
export interface Caller {
  /** The token's subject: a user id for customers and admins, a service name for services. */
  sub: string;
  role: Role;
}

const ISSUER = "ticketing";

/** Signs and verifies the platform's HS256 JWTs. */
export class TokenAuthority {
  readonly #key: Uint8Array;

  constructor(secret: string) {
    this.#key = new TextEncoder().encode(secret);
  }

  async mint(caller: Caller, ttlSeconds = 24 * 3600): Promise<string> {
    return new SignJWT({ role: caller.role })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(caller.sub)
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(this.#key);
  }

  /** Verifies a token; UNAUTHENTICATED with a reason when it is not one this platform issued and still valid. */
  async verify(token: string): Promise<Caller> {
    try {
      const { payload } = await jwtVerify(token, this.#key, { algorithms: ["HS256"], issuer: ISSUER });
      const role = payload["role"];
      if (typeof payload.sub !== "string" || payload.sub === "" || !ROLES.includes(role as Role)) {
        throw new DomainError("Unauthenticated", "token lacks a subject or a known role");
      }
      return { sub: payload.sub, role: role as Role };
    } catch (err) {
      if (err instanceof DomainError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new DomainError("Unauthenticated", "token expired");
      throw new DomainError("Unauthenticated", "invalid token");
    }
  }
}

/** Where the auth interceptor leaves the verified caller for handlers. */
export const callerKey = createContextKey<Caller | undefined>(undefined, { description: "verified caller" });

/** The verified caller of a request; every ticketing RPC has one (the interceptor refuses requests without). */
export function callerOf(ctx: HandlerContext): Caller {
  const caller = ctx.values.get(callerKey);
  if (!caller) throw new DomainError("Unauthenticated", "no caller on this request");
  return caller;
}

/** Which roles may call which RPC. An RPC missing here is open to every authenticated caller. */
export const RPC_ROLES: Readonly<Record<string, readonly Role[]>> = {
  "ticketing.event.v1.EventService/CreateEvent": ["admin"],
  "ticketing.booking.v1.BookingService/CreateBooking": ["service", "admin"],
  "ticketing.booking.v1.BookingService/GetBookings": ["service", "admin"],
  "ticketing.booking.v1.BookingService/ConfirmBookings": ["service", "admin"],
  "ticketing.booking.v1.BookingService/ExpireBookings": ["admin"],
  "ticketing.booking.v1.BookingService/DeleteOrderBookings": ["service", "admin"],
  "ticketing.booking.v1.BookingService/CreateStock": ["service", "admin"],
  "ticketing.booking.v1.BookingService/DeleteStock": ["service", "admin"],
  "ticketing.checkout.v1.CheckoutService/MarkOrderAsPaid": ["admin"],
};

/** Services and RPCs that need no token: probes and tooling. */
export const PUBLIC_SERVICES: ReadonlySet<string> = new Set([
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
]);
