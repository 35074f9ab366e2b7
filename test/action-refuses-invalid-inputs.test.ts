import { describe, expect, it } from 'vitest';
import { runAction } from './helpers/action.js';

const remote = { 'server-url': 'http://127.0.0.1:9', token: 'secret-token-value' };

describe('the Action refuses inputs it cannot use, quoting the value and what is expected', () => {
  it.each<[Record<string, string>, string]>([
    [
      { ...remote, command: 'deploy' },
      'Input "command" is "deploy"; expected one of deploy-workspace, deploy-task',
    ],
    [{ command: 'deploy-workspace' }, 'neither "server-url" nor "kubeconfig" is set'],
    [
      { ...remote, command: 'deploy-workspace', kubeconfig: 'apiVersion: v1' },
      '"server-url" and "kubeconfig" are both set',
    ],
    [
      { command: 'finalize', 'server-url': 'slipway.example.com', token: 't', scope: '1' },
      'Input "server-url" is "slipway.example.com"; expected an http(s) URL',
    ],
    [{ command: 'finalize', 'server-url': 'https://s.example.com' }, 'Input "token" is empty'],
    [
      { ...remote, command: 'switch-traffic', scope: '1', traffic: '150' },
      'Input "traffic" is "150"; expected a whole percentage from 0 to 100',
    ],
    [
      { ...remote, command: 'switch-traffic', scope: '1' },
      'command "switch-traffic" needs the "traffic" input',
    ],
    [
      { ...remote, command: 'deploy-release', scope: 'prod', release: '2' },
      'Input "scope" is "prod"; expected the integer id of a scope',
    ],
    [
      { ...remote, command: 'deploy-workspace', workspace: 'shop', wait: 'yes' },
      'Input "wait" is "yes"; expected true or false',
    ],
    [
      { ...remote, command: 'deploy-workspace', workspace: 'shop', timeout: '0' },
      'Input "timeout" is "0"; expected seconds from 1 to 86400',
    ],
    [
      { ...remote, command: 'deploy-workspace' },
      'command "deploy-workspace" needs the "workspace" input',
    ],
    [
      { ...remote, command: 'deploy-task', directory: '../etc' },
      'Input "directory" is "../etc"; expected a path inside the repository',
    ],
    [
      { kubeconfig: 'apiVersion: v1', command: 'deploy-workspace', force: 'true' },
      'Input "force" is "true"; only deploy-workspace in remote mode deploys past a pause (a workspace\'s deploys are paused on a Slipway server), not deploy-workspace in direct mode',
    ],
    [{ ...remote, command: 'deploy-task', directory: 'tasks/a', force: 'true' }, 'not deploy-task'],
    [
      { ...remote, command: 'deploy-task', 'dry-run': 'true', directory: 'tasks/a' },
      'only deploy-workspace can plan, not deploy-task',
    ],
    [
      { ...remote, command: 'deploy-workspace', workspace: 'shop', commit: 'main' },
      'Input "commit" is "main"; expected a full commit id (40 hex characters), such as',
    ],
    [
      { ...remote, command: 'deploy-task', directory: 'tasks/a', commit: 'a'.repeat(40) },
      'only deploy-workspace in remote mode deploys a given commit (direct mode deploys the checked-out one), not deploy-task',
    ],
    [
      { kubeconfig: 'apiVersion: v1', command: 'deploy-workspace', commit: 'a'.repeat(40) },
      'not deploy-workspace in direct mode',
    ],
    [
      { ...remote, command: 'deploy-workspace', workspace: 'shop', branch: 'feature-7' },
      'Input "branch" is "feature-7"; only deploy-task and run-pipeline in remote mode deploy a given branch, not deploy-workspace: a workspace deploys its own branch, set on the server',
    ],
    [
      { kubeconfig: 'apiVersion: v1', command: 'deploy-task', branch: 'feature-7' },
      'Input "branch" is "feature-7"; only deploy-task and run-pipeline in remote mode deploy a given branch, not deploy-task in direct mode: it deploys the checked-out commit',
    ],
    [
      { ...remote, command: 'finalize', scope: '1', branch: 'feature-7' },
      'Input "branch" is "feature-7"; only deploy-task and run-pipeline in remote mode deploy a given branch, not finalize',
    ],
    [
      { ...remote, command: 'deploy-task', directory: 'tasks/a' },
      'cannot reach Slipway at http://127.0.0.1:9',
    ],
    [
      {
        ...remote,
        'server-url': 'http://ci:s3cretpw@127.0.0.1:9',
        command: 'finalize',
        scope: '1',
      },
      'Input "server-url" carries credentials (user:password@); expected the URL alone',
    ],
    [
      { ...remote, 'server-url': 'http://127.0.0.1:9/?key=abc', command: 'finalize', scope: '1' },
      'Input "server-url" is "http://127.0.0.1:9/" with a query or fragment',
    ],
    [
      { ...remote, 'server-url': 'http://127.0.0.1:9 extra', command: 'finalize', scope: '1' },
      'Input "server-url" is "http://127.0.0.1:9 extra"; expected an http(s) URL',
    ],
    [
      { ...remote, token: 'slw_secret€value', command: 'finalize', scope: '1' },
      'Input "token" holds a space, a line break or a character outside ASCII',
    ],
    [
      { ...remote, command: 'deploy-workspace', workspace: 'shop', namespace: 'prod' },
      'Input "namespace" is set, but deploy-workspace does not use it; it is for deploy-task, run-pipeline, and deploy-workspace in direct mode (a workspace on a server has its namespace there)',
    ],
    [
      { ...remote, command: 'finalize', scope: '1', release: '3' },
      'Input "release" is set, but finalize does not use it; it is for deploy-release',
    ],
    [
      { ...remote, command: 'deploy-workspace', workspace: 'shop', directory: 'tasks/a' },
      'Input "directory" is set, but deploy-workspace does not use it; it is for deploy-task and run-pipeline',
    ],
    [
      { kubeconfig: 'apiVersion: v1', command: 'deploy-task', repository: 'acme/other' },
      'Input "repository" is set, but deploy-task in direct mode does not use it; it is for deploy-task and run-pipeline in remote mode (direct mode deploys the checked-out repository)',
    ],
    [
      { kubeconfig: 'apiVersion: v1', command: 'deploy-workspace', token: 'secret-token-value' },
      'Input "token" is set, but deploy-workspace in direct mode does not use it; it is for remote mode (server-url)',
    ],
    [
      { kubeconfig: 'apiVersion: v1', command: 'deploy-workspace', wait: 'false' },
      'Input "wait" is "false", but in direct mode (kubeconfig) the deploy runs inside this step and ends with it',
    ],
  ])('%j', async (inputs, message) => {
    const run = await runAction(inputs);
    expect(run.code).toBe(1);
    const errors = run.stdout.split('\n').filter((l) => l.startsWith('::error::'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(message);
    expect(run.stdout.replace('::add-mask::secret-token-value', '')).not.toContain(
      'secret-token-value',
    );
    expect(run.stdout).not.toContain('s3cretpw');
  });

  it('runs the main step once: a post step after an input error does not run it again', async () => {
    const main = await runAction({ command: 'deploy' });
    expect(main.code).toBe(1);
    expect(main.state).toMatchObject({ 'main-ran': 'true' });
    const post = await runAction({ command: 'deploy' }, { state: main.state });
    expect(post.code).toBe(0);
    expect(post.stdout).not.toContain('::error::');
  });
});
