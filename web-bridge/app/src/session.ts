// Who is signed in. The access token lives in memory only; the refresh token in the vault. A timer
// refreshes the access token shortly before it expires (each refresh rotates the refresh token);
// one refresh at a time, so a rotated token is never presented twice.

import { createClient, type Transport } from "@connectrpc/connect";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { UserService } from "../../gen/arena/user/v1/user_service_pb.js";
import type { AuthTokens } from "../../gen/arena/user/v1/user_pb.js";
import { clearRefreshToken, loadRefreshToken, saveRefreshToken } from "./vault.js";

export interface SessionUser {
  userId: string;
  username: string;
}

const USER_ITEM = "arena.user";
/** Refresh this long before the access token expires. */
export const REFRESH_MARGIN_MS = 30_000;

/** How long to wait before refreshing a token that expires at `expiresAtMs` (never negative). */
export function refreshDelayMs(expiresAtMs: number, nowMs: number, marginMs = REFRESH_MARGIN_MS): number {
  return Math.max(0, expiresAtMs - nowMs - marginMs);
}

export class Session {
  user: SessionUser | null = null;
  private accessToken = "";
  private accessExpiresAtMs = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private refreshing: Promise<boolean> | null = null;
  private listeners = new Set<() => void>();
  private readonly users;

  constructor(publicTransport: Transport) {
    this.users = createClient(UserService, publicTransport);
  }

  get signedIn(): boolean {
    return this.user !== null;
  }

  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  /** After a page load: the tab's session, if its refresh token still works. */
  async restore(): Promise<void> {
    const stored = sessionStorage.getItem(USER_ITEM);
    if (!stored || !(await loadRefreshToken())) return;
    this.user = JSON.parse(stored) as SessionUser;
    if (!(await this.refresh())) this.clear();
    this.changed();
  }

  async signIn(username: string, password: string): Promise<void> {
    const response = await this.users.login({ username, password });
    const user = response.user!;
    this.user = { userId: user.userId, username: user.username };
    sessionStorage.setItem(USER_ITEM, JSON.stringify(this.user));
    await this.keep(response.tokens!);
    this.changed();
  }

  async signUp(username: string, email: string, password: string, displayName: string): Promise<void> {
    await this.users.createUser({ username, email, password, displayName });
    await this.signIn(username, password);
  }

  async signOut(): Promise<void> {
    const refreshToken = await loadRefreshToken();
    this.clear();
    this.changed();
    if (refreshToken) {
      await this.users.logout({ refreshToken }).catch(() => undefined); // the session ends here either way
    }
  }

  /** A valid access token (refreshed first when about to expire), or "" when signed out. */
  async token(): Promise<string> {
    if (!this.user) return "";
    if (Date.now() > this.accessExpiresAtMs - 5_000) await this.refresh();
    return this.accessToken;
  }

  /** Rotates the refresh token and gets a new access token; false (and signed out) if refused. */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.rotate().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async rotate(): Promise<boolean> {
    const refreshToken = await loadRefreshToken();
    if (!refreshToken) return false;
    try {
      const response = await this.users.refreshToken({ refreshToken });
      await this.keep(response.tokens!);
      return true;
    } catch {
      this.clear();
      this.changed();
      return false;
    }
  }

  private async keep(tokens: AuthTokens): Promise<void> {
    this.accessToken = tokens.accessToken;
    this.accessExpiresAtMs = tokens.accessTokenExpireTime
      ? timestampDate(tokens.accessTokenExpireTime).getTime()
      : Date.now() + 60_000;
    await saveRefreshToken(tokens.refreshToken);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), refreshDelayMs(this.accessExpiresAtMs, Date.now()));
  }

  private clear(): void {
    clearTimeout(this.timer);
    this.user = null;
    this.accessToken = "";
    this.accessExpiresAtMs = 0;
    clearRefreshToken();
    sessionStorage.removeItem(USER_ITEM);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
