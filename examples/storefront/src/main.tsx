import { TransportProvider } from "@connectrpc/connect-query";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode, useEffect, useMemo, useState } from "react";
import { createRoot } from "react-dom/client";
import { clientFor, platformUrl, savedSession, saveSession, type Session } from "./api.js";
import { Shop } from "./shop.js";
import { SignIn } from "./sign-in.js";

const queryClient = new QueryClient({ defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: true } } });

function App() {
  const [baseUrl, setBaseUrl] = useState<string>();
  const [session, setSession] = useState<Session | undefined>(savedSession);
  useEffect(() => {
    void platformUrl().then(setBaseUrl);
  }, []);
  const client = useMemo(() => (baseUrl && session ? clientFor(baseUrl, session) : undefined), [baseUrl, session]);
  const signOut = () => {
    saveSession(undefined);
    queryClient.clear();
    setSession(undefined);
  };

  if (!baseUrl) return <p role="status">Loading…</p>;
  if (!session || !client) {
    return (
      <SignIn
        baseUrl={baseUrl}
        onSignedIn={(s) => {
          saveSession(s);
          setSession(s);
        }}
      />
    );
  }
  return (
    <TransportProvider transport={client.transport}>
      <Shop client={client} session={session} onSignOut={signOut} />
    </TransportProvider>
  );
}

createRoot(document.getElementById("root") as HTMLElement).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
