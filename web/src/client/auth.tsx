// Sign up and log in.
import { useState } from "preact/hooks";
import type { UserFieldsFragment } from "../gql/graphql";
import { ApiError, request, startSession } from "./connection";
import { Login, Signup } from "./operations";

export function AuthView({ onSignedIn }: { onSignedIn: (user: UserFieldsFragment) => void }) {
  const [mode, setMode] = useState<"login" | "signup">("login");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const field = (name: string) => String(form.get(name) ?? "");
    setBusy(true);
    setError(null);
    try {
      const payload =
        mode === "login"
          ? (await request(Login, { input: { email: field("email"), password: field("password") } })).login
          : (
              await request(Signup, {
                input: {
                  email: field("email"),
                  username: field("username"),
                  firstName: field("firstName"),
                  lastName: field("lastName"),
                  password: field("password"),
                  passwordConfirm: field("password"),
                },
              })
            ).signup;
      startSession(payload.tokens);
      onSignedIn(payload.user);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : "Something went wrong");
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="auth">
      <h1>chatstream</h1>
      <form onSubmit={submit} aria-labelledby="auth-title">
        <h2 id="auth-title">{mode === "login" ? "Log in" : "Sign up"}</h2>
        <label>Email<input name="email" type="email" autocomplete="email" required /></label>
        {mode === "signup" && (
          <>
            <label>Username<input name="username" autocomplete="username" required /></label>
            <label>First name<input name="firstName" autocomplete="given-name" required /></label>
            <label>Last name<input name="lastName" autocomplete="family-name" required /></label>
          </>
        )}
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete={mode === "login" ? "current-password" : "new-password"}
            required
          />
        </label>
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>{mode === "login" ? "Log in" : "Sign up"}</button>
      </form>
      <p>
        {mode === "login" ? "No account yet? " : "Have an account? "}
        <button type="button" class="link" onClick={() => setMode(mode === "login" ? "signup" : "login")}>
          {mode === "login" ? "Sign up" : "Log in"}
        </button>
      </p>
    </main>
  );
}
