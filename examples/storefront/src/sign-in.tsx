import { useState, type FormEvent } from "react";
import { signIn, type Session } from "./api.js";

export function SignIn({ baseUrl, onSignedIn }: { baseUrl: string; onSignedIn: (session: Session) => void }) {
  const [name, setName] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      onSignedIn(await signIn(baseUrl, name));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="narrow">
      <h1>Tickets</h1>
      <form onSubmit={submit} aria-describedby="sign-in-note">
        <label htmlFor="name">Your name</label>
        <input id="name" value={name} onChange={(e) => setName(e.target.value)} autoComplete="nickname" required autoFocus />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {error && <p role="alert" className="error">{error}</p>}
      </form>
      <p id="sign-in-note" className="note">
        Development sign-in of the embedded platform: any name, no password.
      </p>
    </main>
  );
}
