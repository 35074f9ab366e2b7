import { z } from 'zod';
import { JOB_STATUSES } from '../../../core/types.js';
import type { RouteSpec } from './route-spec.js';
import { responseBody } from './route-spec.js';

const tags = ['Dashboard'];
const html = (description: string) => ({
  description,
  content: { 'text/html': { type: 'string' } },
});
const redirect = (description: string) => ({
  description,
  headers: { Location: { description: 'Where to go', schema: { type: 'string' } } },
});
const problem = responseBody('DashboardError', z.object({ message: z.string() }));

/** Rows of the overview's jobs table, formatted as shown (app/http/dashboard/format.ts). */
const jobRows = responseBody(
  'DashboardJobRows',
  z.object({ jobs: z.array(z.looseObject({ id: z.string(), status: z.enum(JOB_STATUSES) })) }),
);

const jobState = responseBody(
  'DashboardJobState',
  z.looseObject({
    id: z.string(),
    status: z.enum(JOB_STATUSES),
    active: z.boolean(),
    lines: z.array(z.string()),
    nextSequence: z.number().int(),
    more: z.boolean(),
  }),
);

/**
 * The read-only web dashboard (HTML pages and the JSON its scripts poll). Its JSON is shaped for
 * its own scripts, so only the fields they rely on are described; objects stay open.
 */
export const dashboardRoutes: RouteSpec[] = [
  {
    method: 'get',
    path: '/login',
    operationId: 'dashboardLoginForm',
    summary: 'The sign-in form (a signed-in person is sent to /)',
    tags,
    access: 'public',
    responses: { 200: html('The form'), 302: redirect('Already signed in') },
  },
  {
    method: 'post',
    path: '/login',
    operationId: 'dashboardLogin',
    summary: 'Sign in with an API token (form field `token`)',
    tags,
    access: 'public',
    responses: { 303: redirect('Signed in: to /'), 401: html('The token was refused') },
  },
  {
    method: 'post',
    path: '/logout',
    operationId: 'dashboardLogout',
    summary: 'Sign out',
    tags,
    access: 'public',
    responses: { 303: redirect('To /login') },
  },
  {
    method: 'get',
    path: '/',
    operationId: 'dashboardOverview',
    summary: 'Overview: workspaces, recent jobs, scopes',
    tags,
    access: 'session',
    params: [
      {
        name: 'page',
        in: 'query',
        description: 'The page of older jobs, from 0',
        schema: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
      },
    ],
    responses: {
      200: html('The page'),
      302: redirect('Not signed in: to /login'),
      400: html('A page that is not a whole number from 0 to 1000000'),
    },
  },
  {
    method: 'get',
    path: '/jobs/{id}',
    operationId: 'dashboardJob',
    summary: 'One job and its log, followed live',
    tags,
    access: 'session',
    responses: {
      200: html('The page'),
      302: redirect('Not signed in: to /login'),
      404: html('No such job'),
    },
  },
  {
    method: 'get',
    path: '/dashboard/jobs.json',
    operationId: 'dashboardJobRows',
    summary: "The overview's jobs table",
    tags,
    access: 'session',
    responses: {
      200: { description: 'The rows', schema: jobRows },
      401: { description: 'Not signed in', schema: problem },
    },
  },
  {
    method: 'get',
    path: '/dashboard/jobs/{id}/state',
    operationId: 'dashboardJobState',
    summary: "A job's status and its log lines from `sequence` on",
    tags,
    access: 'session',
    params: [
      {
        name: 'sequence',
        in: 'query',
        description: 'First line',
        schema: { type: 'integer', minimum: 0 },
      },
      {
        name: 'wait',
        in: 'query',
        description:
          'Seconds to hold a request that would find no line while the job runs: it answers as soon as a line comes or the job ends',
        schema: { type: 'integer', minimum: 0, maximum: 30, default: 0 },
      },
    ],
    responses: {
      200: { description: 'The state', schema: jobState },
      400: { description: 'A sequence or wait out of range', schema: problem },
      401: { description: 'Not signed in', schema: problem },
      404: { description: 'No such job', schema: problem },
    },
  },
];
