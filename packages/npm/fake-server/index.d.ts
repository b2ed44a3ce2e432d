/** Options of `startFakeServer`; every one is optional. */
export interface StartOptions {
  /** Path of a fixtures TOML file (users, clients, scopes, settings); the bundled defaults otherwise. */
  fixtures?: string;
  /** Deliberate protocol violations to switch on (`oauth-fake-server --list-faults`). */
  faults?: string[];
  /** Legitimate variants to switch on (`oauth-fake-server --list-variants`). */
  variants?: string[];
  /** Issue RFC 9068 JWT access tokens instead of opaque ones. */
  jwt?: boolean;
  /** Public base URL (the issuer), when the server is reached through a proxy. */
  issuer?: string;
  /** More command-line arguments for the binary. */
  args?: string[];
  /** The executable; `OAUTH_FAKE_SERVER_BIN` or this platform's package otherwise. */
  binary?: string;
}

export interface FixtureClient {
  client_id: string;
  /** Absent (null) for public clients. */
  client_secret: string | null;
  name: string;
  redirect_uris: string[];
  scopes: string[];
  default_scopes: string[];
  grant_types: string[];
  consent: boolean;
  introspect_any: boolean;
  [member: string]: unknown;
}

export interface FixtureUser {
  username: string;
  password: string;
  sub: string | null;
  name: string | null;
  email: string | null;
}

export interface FixtureScope {
  name: string;
  description: string;
  claims: string[];
}

export interface SignInOptions {
  /** The user; the first user of the fixtures by default. */
  username?: string;
  password?: string;
  /** What the user answers on the consent page (default `approve`). */
  consent?: 'approve' | 'deny';
}

export declare class FakeServer {
  readonly issuer: string;
  readonly metadataUrl: string;
  readonly clients: FixtureClient[];
  readonly users: FixtureUser[];
  readonly scopes: FixtureScope[];
  readonly adminKey: string;
  /** What the server wrote on stderr so far. */
  output(): string;
  client(id: string): FixtureClient;
  url(path: string): string;
  /** Move the server's clock forward by this many seconds. */
  advance(seconds: number): Promise<void>;
  /** Back to the fixtures: no registered clients, sessions, grants or tokens. */
  reset(): Promise<void>;
  /** Play the user; resolves to the redirect URL (with `code` or `error`), not loaded. */
  signIn(authorizationUrl: string | URL, options?: SignInOptions): Promise<string>;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export declare function startFakeServer(options?: StartOptions): Promise<FakeServer>;
export declare function binaryPath(binary?: string): string;
