// TypeBox schemas of the experiments and OFREP APIs: request and response shapes only.
import { Type } from '@sinclair/typebox';

const Open = (description: string) => Type.Object({}, { additionalProperties: true, description });
export const SlugParams = Type.Object({ slug: Type.String({ pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', maxLength: 80 }) });
export const EnvQuery = Type.Object({ environment: Type.Optional(Type.Union([Type.Literal('test'), Type.Literal('live')])) });
export const FlagDocumentBody = Open(
  'A flagd flag definition document (https://flagd.dev/schema/v0/flags.json): { flags, $evaluators?, metadata? }',
);
export const SavedDocument = Type.Object({
  service: Type.String(),
  environment: Type.String(),
  version: Type.Integer(),
  etag: Type.String(),
  flags: Type.Array(Type.String()),
});
export const Problem = Type.Object({ field: Type.String(), message: Type.String() });
export const ApiError = Type.Object({
  status: Type.Integer(),
  code: Type.String(),
  message: Type.String(),
  errors: Type.Optional(Type.Array(Problem)),
});
export const Revision = Type.Object({
  version: Type.Integer(),
  changed_by: Type.String(),
  summary: Type.String(),
  created_at: Type.String(),
});

// OFREP (specs/ofrep/openapi.yaml)
export const FlagKeyParams = Type.Object({ key: Type.String({ minLength: 1, maxLength: 200 }) });
export const EvaluationRequest = Type.Object(
  { context: Type.Optional(Open('Evaluation context: targetingKey and any attributes the targeting rules use')) },
  { additionalProperties: true },
);
const Metadata = Type.Record(Type.String(), Type.Union([Type.Boolean(), Type.String(), Type.Number()]));
export const EvaluationSuccess = Type.Object({
  key: Type.String(),
  value: Type.Optional(Type.Unknown()),
  reason: Type.String(),
  variant: Type.Optional(Type.String()),
  metadata: Type.Optional(Metadata),
});
export const EvaluationFailure = Type.Object({
  key: Type.Optional(Type.String()),
  errorCode: Type.String(),
  errorDetails: Type.Optional(Type.String()),
  metadata: Type.Optional(Metadata),
});
export const BulkResponse = Type.Object({
  flags: Type.Array(Type.Union([EvaluationSuccess, EvaluationFailure])),
  metadata: Type.Optional(Metadata),
  eventStreams: Type.Optional(
    Type.Array(
      Type.Object({
        type: Type.String(),
        url: Type.Optional(Type.String()),
        endpoint: Type.Optional(Type.Object({ origin: Type.Optional(Type.String()), requestUri: Type.String() })),
        inactivityDelaySec: Type.Optional(Type.Integer()),
      }),
    ),
  ),
});
export const GeneralError = Type.Object({ errorDetails: Type.Optional(Type.String()) });
export const Configuration = Type.Object({
  name: Type.String(),
  capabilities: Type.Object({
    cacheInvalidation: Type.Object({
      polling: Type.Object({ enabled: Type.Boolean(), minPollingIntervalMs: Type.Integer() }),
    }),
    flagEvaluation: Type.Object({ supportedTypes: Type.Array(Type.String()) }),
    eventStreams: Type.Object({ sse: Type.Boolean() }),
  }),
});
export const EventsQuery = Type.Object({ channel: Type.String({ maxLength: 400 }) });
/** BulkResponse for serialisation: the same document, written with JSON.stringify. */
export const BulkResponseLoose = Type.Unsafe<Record<string, unknown>>({
  type: 'object',
  description:
    'bulkEvaluationSuccess of specs/ofrep/openapi.yaml: { flags: [evaluationSuccess | evaluationFailure], metadata?, eventStreams? }',
  additionalProperties: true,
  properties: { flags: { type: 'array', items: {} } },
});
