/** The sign-in form: an API token (the admin token, a stored token or a JWT), nothing else. */
export function LoginPage({ error }: { error?: string }) {
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
        <button type="submit">Sign in</button>
      </form>
    </>
  );
}
