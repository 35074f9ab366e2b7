import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelease, productionScope, serviceFiles } from './fixtures/np-service.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { type Json, type ServerProcess, startServer } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

/**
 * Applications and scopes are named by people, in their language; their Kubernetes names
 * (namespace, Service, workloads) are DNS labels. Accents are dropped (`Café` -> `cafe`); letters
 * no label can hold (日本, ユニ) are not lost silently: the name keeps its latin part and ends
 * in a hash of the whole name, so it neither vanishes nor takes another scope's name.
 */
describe('nullplatform names with accents and other scripts', () => {
  let server: ServerProcess;
  let repo: TestRepo;
  let app: Json;

  beforeAll(async () => {
    repo = createRepo(serviceFiles());
    server = await startServer();
    const created = await server.api('POST', '/application', {
      name: 'Café Crème',
      repository_url: repo.dir,
    });
    expect(created.status, created.text).toBe(201);
    app = created.json;
  });
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
  });

  async function scope(name: string, application = app): Promise<Json> {
    const answer = await server.api('POST', '/scope', {
      ...productionScope(application.id),
      name,
    });
    expect(answer.status, `${name}: ${answer.text}`).toBe(201);
    return answer.json;
  }

  it('drops accents and spells out latin letters that have none', async () => {
    expect(await scope('Été Prod')).toMatchObject({
      name: 'Été Prod',
      slug: 'ete-prod',
      namespace: 'cafe-creme',
    });
    expect((await scope('Straße Ørsted Łódź')).slug).toBe('strasse-orsted-lodz');
  });

  it('gives a name with letters of another script a stable, distinct name', async () => {
    const prod = await scope('prod');
    const japanese = await scope('prod 日本');
    const mixed = await scope('prod ü 日本');
    expect(prod.slug).toBe('prod');
    expect(japanese.slug).toMatch(/^prod-[0-9a-f]{8}$/);
    expect(mixed.slug).toMatch(/^prod-u-[0-9a-f]{8}$/);
    expect(japanese.slug.slice(-8)).not.toBe(mixed.slug.slice(-8));

    const uni = await scope('ユニ');
    expect(uni.slug).toMatch(/^scope-[0-9a-f]{8}$/);
    // The same name again is the same Kubernetes name: refused, saying which scope has it.
    const again = await server.api('POST', '/scope', { ...productionScope(app.id), name: 'ユニ' });
    expect(again.status).toBe(409);
    expect(again.json.message).toBe(
      `application ${app.id} already has a scope named like 'ユニ': scope ${uni.id} 'ユニ' has the Kubernetes name '${uni.slug}'`,
    );
  });

  it('starts every scope name with a letter, as a Kubernetes Service name must', async () => {
    expect((await scope('2024')).slug).toBe('scope-2024');
  });

  it('refuses, saying so, only a name with no letter or digit at all', async () => {
    const answer = await server.api('POST', '/scope', { ...productionScope(app.id), name: '!!!' });
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({
      message: '"name" is "!!!"; expected a name with letters or digits',
    });
  });

  it('gives an application named in another script its own namespace, and deploys there', async () => {
    const other = (
      await server.api('POST', '/application', { name: 'ユニ', repository_url: repo.dir })
    ).json;
    const uni = await scope('本番', other);
    expect(uni.namespace).toMatch(/^app-[0-9a-f]{8}$/);
    expect(uni.slug).toMatch(/^scope-[0-9a-f]{8}$/);

    const release = await createRelease(server, other.id, repo.head(), '1.0.0');
    const deployment = (
      await server.api('POST', '/deployment', { scope_id: uni.id, release_id: release.id })
    ).json;
    const ended = await eventually(
      async () => {
        const d = (await server.api('GET', `/deployment/${deployment.id}?include_messages=true`))
          .json;
        return ['finalized', 'failed'].includes(d.status) ? d : undefined;
      },
      'the deployment to end',
      30_000,
    );
    expect(ended.status, JSON.stringify(ended.messages)).toBe('finalized');
    const address = (await server.api('GET', `/scope/${uni.id}`)).json.address;
    expect(await (await fetch(address)).text()).toBe('1.0.0');
  });

  it("refuses a scope that would run as another application's scope, in its namespace", async () => {
    // `cafe creme` has the namespace of `Café Crème`: its scope `Été Prod` would be the same
    // workload as the one above and take over its address.
    const twin = (
      await server.api('POST', '/application', { name: 'cafe creme', repository_url: repo.dir })
    ).json;
    const ete = (await server.api('GET', `/scope?application_id=${app.id}`)).json.results.find(
      (s: Json) => s.name === 'Été Prod',
    );
    const clash = await server.api('POST', '/scope', {
      ...productionScope(twin.id),
      name: 'Été Prod',
    });
    expect(clash.status, clash.text).toBe(409);
    expect(clash.json.message).toBe(
      `scope ${ete.id} 'Été Prod' of application ${app.id} already runs as 'ete-prod' in namespace 'cafe-creme'; give this scope another name, or another "namespace"`,
    );
    const apart = await server.api('POST', '/scope', {
      ...productionScope(twin.id),
      name: 'Été Prod',
      namespace: 'cafe-creme-twin',
    });
    expect(apart.status, apart.text).toBe(201);
  });

  it('holds a new name given by PATCH to the rules of a new scope, and keeps the slug', async () => {
    const staging = await scope('Staging');
    const renamed = await server.api('PATCH', `/scope/${staging.id}`, { name: 'Staging Two' });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.json).toMatchObject({ name: 'Staging Two', slug: 'staging' });

    const empty = await server.api('PATCH', `/scope/${staging.id}`, { name: '!!!' });
    expect(empty.status).toBe(400);
    expect(empty.json.message).toBe('"name" is "!!!"; expected a name with letters or digits');
    const prod = (await server.api('GET', `/scope?application_id=${app.id}`)).json.results.find(
      (s: Json) => s.name === 'prod',
    );
    const taken = await server.api('PATCH', `/scope/${staging.id}`, { name: 'prod' });
    expect(taken.status).toBe(409);
    expect(taken.json.message).toBe(
      `application ${app.id} already has a scope named like 'prod': scope ${prod.id} 'prod' has the Kubernetes name 'prod'`,
    );
    // Its own slug stays its own, and the old name may be taken back.
    const back = await server.api('PATCH', `/scope/${staging.id}`, { name: 'Staging' });
    expect(back.status, back.text).toBe(200);
    expect((await server.api('GET', `/scope/${staging.id}`)).json.name).toBe('Staging');
  });
});
