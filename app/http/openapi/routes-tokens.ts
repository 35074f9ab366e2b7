import { z } from 'zod';
import { createTokenSchema } from '../tokens.js';
import { isoTime, springError } from './common-schemas.js';
import { errorResponses, type RouteSpec, requestBody, responseBody } from './route-spec.js';

const tags = ['API tokens'];
const errors = (...statuses: number[]) => errorResponses(springError, ...statuses);

requestBody('CreateToken', createTokenSchema);

const tokenFields = {
  id: z.string(),
  name: z.string(),
  created: isoTime,
  lastUsed: isoTime.nullable(),
};
const createdToken = responseBody(
  'CreatedToken',
  z.object({ ...tokenFields, token: z.string().describe('Shown once; only its hash is kept') }),
);
const tokenList = responseBody('TokenList', z.object({ tokens: z.array(z.object(tokenFields)) }));

/** API tokens (DESIGN.md section 9), managed with the admin token. */
export const tokenRoutes: RouteSpec[] = [
  {
    method: 'post',
    path: '/api/tokens',
    operationId: 'createToken',
    summary: 'Create an API token',
    tags,
    access: 'admin',
    body: { schema: createTokenSchema },
    responses: {
      201: { description: 'The token, shown this once', schema: createdToken },
      ...errors(400, 401, 403, 409, 415),
    },
  },
  {
    method: 'get',
    path: '/api/tokens',
    operationId: 'listTokens',
    summary: 'List API tokens (never the tokens themselves)',
    tags,
    access: 'admin',
    responses: { 200: { description: 'The tokens', schema: tokenList }, ...errors(401, 403) },
  },
  {
    method: 'delete',
    path: '/api/tokens/{id}',
    operationId: 'deleteToken',
    summary: 'Delete an API token',
    tags,
    access: 'admin',
    responses: { 204: { description: 'Deleted' }, ...errors(401, 403, 404) },
  },
];
