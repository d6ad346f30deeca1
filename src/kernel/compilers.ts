// Each route's request validator (Ajv) and response serializer (fast-json-stringify) compiled at
// the route's first use instead of all of them at start-up. Fastify's defaults compile every
// schema of every route when the app becomes ready: ~1,000 schemas here, the largest share of the
// JavaScript a start runs (about 2 s of CPU on the 2-core development machine), for routes most
// processes never serve. The compilers are Fastify's own (the same options, the same errors);
// only the moment changes. A schema Ajv cannot compile now fails its route's first request (a
// 500, logged) rather than the start; every route's tests exercise its schemas.
import AjvCompiler from '@fastify/ajv-compiler';
import SerializerSelector from '@fastify/fast-json-stringify-compiler';

type Validate = ((data: unknown, cxt?: unknown) => unknown) & { errors?: unknown; schemaEnv?: unknown };

/** Fastify's `schemaController.compilersFactory`, compiling each schema when first used. */
export function lazyCompilers() {
  const buildValidator = AjvCompiler();
  const buildSerializer = SerializerSelector();
  return {
    buildValidator(...args: Parameters<typeof buildValidator>) {
      const compile = buildValidator(...args);
      return (route: Parameters<typeof compile>[0]) => {
        let compiled: Validate | undefined;
        const real = () => (compiled ??= compile(route) as Validate);
        const validate: Validate = (data, cxt) => {
          const result = real()(data, cxt);
          validate.errors = real().errors; // Fastify reads the errors from the function it was given
          return result;
        };
        // Fastify asks for Ajv's schemaEnv to decide whether to let Ajv coerce the root value.
        Object.defineProperty(validate, 'schemaEnv', { get: () => real().schemaEnv });
        return validate as unknown as ReturnType<typeof compile>;
      };
    },
    buildSerializer(...args: Parameters<typeof buildSerializer>) {
      const compile = buildSerializer(...args);
      return (route: Parameters<typeof compile>[0]) => {
        let compiled: ((doc: unknown) => string) | undefined;
        return (doc: unknown) => (compiled ??= compile(route))(doc);
      };
    },
  };
}
