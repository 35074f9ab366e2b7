import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, startServer } from './helpers/server.js';

/**
 * A link to a job's page (the Action's `url` output, a check run's details) opened without a
 * session goes through the sign-in form and lands on that job, not on the overview; the form
 * sends nobody anywhere else.
 */
describe('dashboard sign-in returns to the page asked for', () => {
  let server: ServerProcess;
  let jobId: string;

  beforeAll(async () => {
    server = await startServer();
    const ws = await server.api('POST', '/api/workspaces', {
      name: 'shop',
      repositoryUrl: 'https://github.com/acme/shop.git',
    });
    jobId = (await server.api('POST', `/api/workspaces/${ws.json.id}/deployments`)).json.id;
  });
  afterAll(async () => {
    await server?.stop();
  });

  const get = (path: string, cookie?: string) =>
    fetch(`${server.url}${path}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  const signIn = (fields: Record<string, string>) =>
    fetch(`${server.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });

  it("sends a visitor to the sign-in form and, once signed in, to the job's page", async () => {
    const visit = await get(`/jobs/${jobId}`);
    expect(visit.status).toBe(302);
    expect(visit.headers.get('location')).toBe(`/login?next=jobs%2F${jobId}`);

    const form = await get(`/login?next=jobs%2F${jobId}`);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain(`<input type="hidden" name="next" value="jobs/${jobId}"/>`);

    // A refused token shows the form again, still on the way to the job.
    const refused = await signIn({ token: 'slw_not-a-real-token', next: `jobs/${jobId}` });
    expect(refused.status).toBe(401);
    expect(await refused.text()).toContain(`name="next" value="jobs/${jobId}"`);

    const signedIn = await signIn({ token: server.adminToken, next: `jobs/${jobId}` });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe(`/jobs/${jobId}`);
    const cookie = String(signedIn.headers.get('set-cookie')).split(';')[0] as string;
    const job = await get(`/jobs/${jobId}`, cookie);
    expect(job.status).toBe(200);
    expect(await job.text()).toContain(jobId);

    // Signed in already, the form sends on at once.
    const again = await get(`/login?next=jobs%2F${jobId}`, cookie);
    expect(again.status).toBe(302);
    expect(again.headers.get('location')).toBe(`/jobs/${jobId}`);
  });

  it('goes to the overview for anything but a job page: no way off the dashboard', async () => {
    for (const next of ['//evil.example/', 'https://evil.example/', '/jobs/x', 'jobs/../api', '']) {
      const signedIn = await signIn({ token: server.adminToken, next });
      expect(signedIn.status, next).toBe(303);
      expect(signedIn.headers.get('location'), next).toBe('/');
    }
    const overview = await get('/');
    expect(overview.headers.get('location')).toBe('/login');
    const form = await get('/login?next=%2F%2Fevil.example%2F');
    expect(await form.text()).not.toContain('name="next"');
  });
});
