import { isoDateSchema } from '@digest/core';
import { bounceWebhookSchema, emailSchema, signupSchema } from '@digest/subscribers';
import { z } from 'zod';
import {
  controlSchema,
  issueQuerySchema,
  resendSchema,
  subscriberQuerySchema,
  triggerSchema,
} from '../admin/routes.ts';

/** Zod to JSON Schema as a request is validated: the input side of transforms and defaults. */
function schema(type: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(type, { io: 'input', unrepresentable: 'any' });
  return rest;
}

const errorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

const json = (body: Record<string, unknown>) => ({ 'application/json': { schema: body } });
const ok = (description: string, body: Record<string, unknown> = { type: 'object' }) => ({
  description,
  content: json(body),
});
const problem = (description: string) => ({
  description,
  content: json({ $ref: '#/components/schemas/Error' }),
});

/** `?name=` parameters from an object schema, one per property. */
function queryParameters(type: z.ZodObject) {
  const properties = schema(type).properties as Record<string, Record<string, unknown>>;
  return Object.entries(properties).map(([name, property]) => ({ name, in: 'query', schema: property }));
}

const pathParameter = (name: string, type: z.ZodType) => ({
  name,
  in: 'path',
  required: true,
  schema: schema(type),
});

const admin = {
  tags: ['admin'],
  security: [{ adminToken: [] }],
};
const adminErrors = {
  '400': problem('Bad input: malformed JSON or a value the schema refuses'),
  '401': problem('No or a wrong `Authorization: Bearer ADMIN_TOKEN`'),
};

/**
 * The OpenAPI 3.1 document of the JSON API, built from the zod schemas the routes validate with,
 * so the two cannot drift apart; `openapi.test.ts` checks it against a validator and the routes.
 */
export function openApiDocument(publicBaseUrl: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Daily Papers digest API',
      version: '1.0.0',
      description:
        'Signups, and the admin API (papers, digests, resends, subscribers). Every error is `{ "error": { "code", "message", "issues"? } }`.',
    },
    servers: [{ url: publicBaseUrl }],
    components: {
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' },
        webhookSecret: { type: 'http', scheme: 'bearer', description: 'BOUNCE_WEBHOOK_SECRET' },
        webhookBasic: {
          type: 'http',
          scheme: 'basic',
          description: 'any user name, BOUNCE_WEBHOOK_SECRET as the password (for SNS)',
        },
      },
      schemas: { Error: schema(errorSchema) },
    },
    paths: {
      '/api/subscribe': {
        post: {
          tags: ['public'],
          summary:
            'Sign up: a confirmation mail follows (the same answer whether or not the address is known)',
          requestBody: { required: true, content: json(schema(signupSchema)) },
          responses: {
            '202': ok('Accepted', {
              type: 'object',
              properties: { status: { const: 'pending' }, message: { type: 'string' } },
            }),
            '400': problem('Bad input'),
            '403': problem('Posted from a site not in ALLOWED_ORIGINS'),
            '415': problem('Not application/json'),
            '429': problem('Too many signups from this client'),
          },
        },
      },
      '/api/admin/papers': {
        post: {
          ...admin,
          summary: 'Import papers: Hugging Face daily_papers items or flat paper objects',
          requestBody: { required: true, content: json({ type: 'array', items: { type: 'object' } }) },
          responses: {
            '200': ok(
              'Received, inserted, updated, merged (records sharing an id with a later one, which was kept) and the rejected records with their reasons',
            ),
            ...adminErrors,
            '413': problem('Body over 25 MB'),
          },
        },
      },
      '/api/admin/digests': {
        post: {
          ...admin,
          summary: 'Build and send an issue (today in DIGEST_TZ when no date is given)',
          requestBody: { required: true, content: json(schema(triggerSchema)) },
          responses: { '202': ok('Queued: date, cadence, jobId'), ...adminErrors },
        },
      },
      '/api/admin/digests/{date}': {
        get: {
          ...admin,
          summary: "An issue's papers and deliveries by status (`deliveries=1`: who was sent what)",
          parameters: [pathParameter('date', isoDateSchema), ...queryParameters(issueQuerySchema)],
          responses: { '200': ok('The issue report'), ...adminErrors, '404': problem('No such issue') },
        },
      },
      '/api/admin/digests/{date}/resend': {
        post: {
          ...admin,
          summary:
            'Send an issue again to exactly one of: the given addresses, the failed deliveries, those who have not received it, or everyone (an empty body is refused)',
          parameters: [pathParameter('date', isoDateSchema)],
          requestBody: { required: true, content: json(schema(resendSchema)) },
          responses: {
            '202': ok('How many deliveries were queued again'),
            ...adminErrors,
            '404': problem('No such issue'),
          },
        },
      },
      ...Object.fromEntries(
        (
          [
            ['pause', 'Stop sending an issue for now (what is in flight finishes)'],
            ['resume', 'Go on sending a paused issue'],
            ['cancel', 'Stop sending an issue for good: deliveries still waiting are skipped'],
          ] as const
        ).map(([action, summary]) => [
          `/api/admin/digests/{date}/${action}`,
          {
            post: {
              ...admin,
              summary,
              parameters: [pathParameter('date', isoDateSchema)],
              requestBody: { required: false, content: json(schema(controlSchema)) },
              responses: {
                '200': ok('date, cadence, the new status and how many waiting deliveries were skipped'),
                ...adminErrors,
                '404': problem('No such issue'),
                '409': problem('The issue is not in a state this action applies to'),
              },
            },
          },
        ]),
      ),
      '/api/webhooks/bounces': {
        post: {
          tags: ['webhooks'],
          summary:
            'Bounce and complaint events: `{ type: "bounce"|"complaint", email, reason? }` (one or a list), or Amazon SES notifications over SNS',
          security: [{ webhookSecret: [] }, { webhookBasic: [] }],
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: schema(bounceWebhookSchema) },
              'text/plain': { schema: { type: 'string', description: 'An SNS message (JSON text)' } },
            },
          },
          responses: {
            '200': ok(
              'received, applied and ignored counts; or `{ subscribed: true }` for the SNS handshake',
            ),
            '400': problem('Not a documented event nor an SES notification'),
            '401': problem('No or a wrong BOUNCE_WEBHOOK_SECRET'),
            '404': problem('The webhook is off (BOUNCE_WEBHOOK_SECRET unset)'),
          },
        },
      },
      '/api/admin/subscribers': {
        get: {
          ...admin,
          summary: 'A page of subscribers',
          parameters: queryParameters(subscriberQuerySchema),
          responses: { '200': ok('subscribers, limit, offset'), ...adminErrors },
        },
      },
      '/api/admin/subscribers/{email}': {
        delete: {
          ...admin,
          summary: 'Erase a subscriber and their delivery history',
          parameters: [pathParameter('email', emailSchema)],
          responses: {
            '204': { description: 'Erased' },
            ...adminErrors,
            '404': problem('No such subscriber'),
          },
        },
      },
      '/healthz': {
        get: {
          tags: ['operations'],
          summary: 'The process is up',
          responses: { '200': ok('`{ "status": "ok" }`') },
        },
      },
      '/readyz': {
        get: {
          tags: ['operations'],
          summary: 'Postgres and Redis answer',
          responses: { '200': ok('Ready'), '503': ok('Not ready, with the reason per store') },
        },
      },
    },
  };
}
