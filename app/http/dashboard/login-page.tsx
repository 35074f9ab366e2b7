/**
 * The sign-in form: an API token (the admin token, a stored token or a JWT), nothing else; `next`
 * is the page to go back to once signed in.
 */
export function LoginPage({ error, next }: { error?: string; next?: string | undefined }) {
  return (
    <>
      <h1>Sign in</h1>
      <form class="login" method="post" action="login">
        {error ? (
          <p class="error" role="alert" id="login-error">
            {error}
          </p>
        ) : null}
        <label for="token">API token</label>
        <input
          type="password"
          id="token"
          name="token"
          autocomplete="current-password"
          required
          autofocus
        />
        <p class="muted">
          The admin token (<code>cat $SLIPWAY_DATA_DIR/admin-token</code>), a token from POST
          /api/tokens, or a JWT. It is kept in an HttpOnly cookie until you sign out.
        </p>
        {next ? <input type="hidden" name="next" value={next} /> : null}
        <button type="submit">Sign in</button>
      </form>
    </>
  );
}
