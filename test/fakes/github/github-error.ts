/** Where GitHub's error bodies point; the fake answers the generic REST docs page everywhere. */
export const DOCUMENTATION_URL = 'https://docs.github.com/rest';

/** One entry of a 422 `errors` list, as GitHub writes them. */
export interface ValidationError {
  resource: string;
  code: 'missing_field' | 'invalid' | 'already_exists' | 'custom';
  field: string;
  message?: string;
}

/** An error answer: status, GitHub's JSON body, and extra headers (e.g. WWW-Authenticate). */
export class GitHubError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: unknown[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return {
      message: this.message,
      ...(this.errors.length > 0 ? { errors: this.errors } : {}),
      documentation_url: DOCUMENTATION_URL,
    };
  }
}

export const notFound = () => new GitHubError(404, 'Not Found');
export const badCredentials = () => new GitHubError(401, 'Bad credentials');
export const requiresAuthentication = () => new GitHubError(401, 'Requires authentication');
export const notAccessibleByIntegration = () =>
  new GitHubError(403, 'Resource not accessible by integration');
export const problemsParsingJson = () => new GitHubError(400, 'Problems parsing JSON');

/** 401 for an App JWT GitHub refuses; the messages are GitHub's own (see authenticate.ts). */
export const jwtRefused = (message: string) => new GitHubError(401, message);

/** 422 Validation Failed naming the field, as GitHub answers a bad create/update body. */
export function validationFailed(
  resource: string,
  field: string,
  code: ValidationError['code'],
  message?: string,
): GitHubError {
  const error: ValidationError = { resource, code, field, ...(message ? { message } : {}) };
  return new GitHubError(422, 'Validation Failed', [error]);
}

/** 422 with only a message (e.g. `No ref found for: X`), as GitHub answers unresolvable refs. */
export const unprocessable = (message: string) => new GitHubError(422, message);
