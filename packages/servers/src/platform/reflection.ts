import { create, createRegistry, toBinary, type DescFile, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { reflection } from "@ticketing/sdk/grpc";

const { ServerReflection, ServerReflectionResponseSchema } = reflection;

/**
 * grpc.reflection.v1 over the protobuf-es descriptors of the services a process serves, so `buf curl`, grpcurl and
 * Postman can list and call every RPC without the .proto files. Every file those services import is served too, and
 * `alsoServe` adds files no service imports but clients still meet: the error details, which travel as `Any` and
 * which grpcurl can only decode when it can look their type up here.
 */
export function reflectionRoutes(services: readonly DescService[], alsoServe: readonly DescFile[] = []) {
  const filesByName = new Map<string, DescFile>();
  const collect = (f: DescFile) => {
    if (filesByName.has(f.proto.name)) return;
    filesByName.set(f.proto.name, f);
    f.dependencies.forEach(collect);
  };
  services.forEach((s) => collect(s.file));
  alsoServe.forEach(collect);
  // Built from every collected file: a registry of the service files alone does not know the types they import.
  const registry = createRegistry(...filesByName.values());
  const serviceNames = services.map((s) => s.typeName).sort();

  // A file and everything it imports, each once, dependencies first.
  const withDependencies = (file: DescFile): Uint8Array[] => {
    const seen = new Set<string>();
    const out: Uint8Array[] = [];
    const visit = (f: DescFile) => {
      if (seen.has(f.proto.name)) return;
      seen.add(f.proto.name);
      f.dependencies.forEach(visit);
      out.push(toBinary(FileDescriptorProtoSchema, f.proto));
    };
    visit(file);
    return out;
  };

  const answer = (req: reflection.ServerReflectionRequest): reflection.ServerReflectionResponse => {
    const base = { validHost: req.host, originalRequest: req };
    const notFound = (what: string) =>
      create(ServerReflectionResponseSchema, {
        ...base,
        messageResponse: { case: "errorResponse", value: { errorCode: 5, errorMessage: `${what} not found` } },
      });
    const files = (file: DescFile | undefined, what: string) =>
      file
        ? create(ServerReflectionResponseSchema, {
            ...base,
            messageResponse: {
              case: "fileDescriptorResponse",
              value: { fileDescriptorProto: withDependencies(file) },
            },
          })
        : notFound(what);

    const q = req.messageRequest;
    switch (q.case) {
      case "listServices":
        return create(ServerReflectionResponseSchema, {
          ...base,
          messageResponse: {
            case: "listServicesResponse",
            value: { service: serviceNames.map((name) => ({ name })) },
          },
        });
      case "fileByFilename":
        return files(filesByName.get(q.value), `file ${q.value}`);
      case "fileContainingSymbol": {
        const symbol = q.value.replace(/^\./, "");
        const desc = registry.get(symbol) ?? registry.get(symbol.slice(0, symbol.lastIndexOf(".")));
        const file = desc && "file" in desc ? desc.file : undefined;
        return files(file, `symbol ${q.value}`);
      }
      case "fileContainingExtension":
        return notFound(`extension ${q.value.extensionNumber} of ${q.value.containingType}`);
      case "allExtensionNumbersOfType": {
        const known = registry.getMessage(q.value);
        if (!known) return notFound(`type ${q.value}`);
        return create(ServerReflectionResponseSchema, {
          ...base,
          messageResponse: {
            case: "allExtensionNumbersResponse",
            value: { baseTypeName: q.value, extensionNumber: [] },
          },
        });
      }
      default:
        return create(ServerReflectionResponseSchema, {
          ...base,
          messageResponse: { case: "errorResponse", value: { errorCode: 3, errorMessage: "empty request" } },
        });
    }
  };

  return (router: ConnectRouter) => {
    router.service(ServerReflection, {
      async *serverReflectionInfo(requests) {
        for await (const req of requests) yield answer(req);
      },
    });
  };
}
