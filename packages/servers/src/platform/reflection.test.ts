import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { checkout } from "@ticketing/sdk";
import { reflection } from "@ticketing/sdk/grpc";
import { describe, expect, it } from "vitest";
import { DomainError } from "./errors.js";
import { ERROR_DETAILS, toConnectError } from "./interceptors.js";
import { reflectionRoutes } from "./reflection.js";

/** A reflection client over a process that serves only checkout: the case with the fewest files of its own. */
function checkoutOnly() {
  const transport = createRouterTransport(reflectionRoutes([checkout.CheckoutService], ERROR_DETAILS.map((d) => d.file)));
  const client = createClient(reflection.ServerReflection, transport);
  return async (messageRequest: reflection.ServerReflectionRequest["messageRequest"]) => {
    async function* one() {
      yield { messageRequest };
    }
    for await (const answer of client.serverReflectionInfo(one())) return answer.messageResponse;
    throw new Error("no answer");
  };
}

/** The names of the files a fileDescriptorResponse carries, and the message types each defines. */
function filesOf(response: reflection.ServerReflectionResponse["messageResponse"]) {
  if (response.case !== "fileDescriptorResponse") throw new Error(`expected files, got ${response.case}: ${JSON.stringify(response.value)}`);
  return response.value.fileDescriptorProto.map((bytes) => {
    const file = fromBinary(FileDescriptorProtoSchema, bytes);
    return { name: file.name, messages: file.messageType.map((m) => `${file.package}.${m.name}`) };
  });
}

describe("reflection", () => {
  it("resolves every error detail a refusal can carry, so grpcurl can decode it", async () => {
    const ask = checkoutOnly();
    const err = toConnectError(
      new DomainError("FailedPrecondition", "every kind of detail at once", {
        fieldViolations: [{ field: "quantity", description: "must be between 1 and 100" }],
        shortages: [{ ticketId: "t", requested: 3, available: 1 }],
        stateConflict: { currentState: "PAID", attempted: "cancel" },
      }),
    );
    const typeNames = err.details.map((d) => ("desc" in d ? d.desc.typeName : d.type));
    expect(typeNames).toHaveLength(3);
    for (const typeName of typeNames) {
      const files = filesOf(await ask({ case: "fileContainingSymbol", value: typeName }));
      expect(files.flatMap((f) => f.messages), typeName).toContain(typeName);
    }
  });

  it("serves the files a service imports, which grpcurl describe asks for by symbol", async () => {
    const ask = checkoutOnly();
    const money = filesOf(await ask({ case: "fileContainingSymbol", value: "ticketing.common.v1.Money" }));
    expect(money.at(-1)?.name).toBe("ticketing/common/v1/money.proto");
    const byName = filesOf(await ask({ case: "fileByFilename", value: "ticketing/common/v1/money.proto" }));
    expect(byName.map((f) => f.name)).toEqual(["ticketing/common/v1/money.proto"]);
    // A file comes with everything it imports, dependencies first.
    const service = filesOf(await ask({ case: "fileContainingSymbol", value: "ticketing.checkout.v1.CheckoutService" }));
    expect(service.map((f) => f.name)).toEqual(
      expect.arrayContaining(["google/protobuf/timestamp.proto", "ticketing/common/v1/money.proto", "ticketing/checkout/v1/checkout.proto"]),
    );
    expect(service.at(-1)?.name).toBe("ticketing/checkout/v1/checkout.proto");
  });

  it("answers NOT_FOUND for a symbol it does not know", async () => {
    const answer = await checkoutOnly()({ case: "fileContainingSymbol", value: "ticketing.nope.v1.Nothing" });
    expect(answer.case).toBe("errorResponse");
    expect(answer.value).toMatchObject({ errorCode: 5 });
  });
});
