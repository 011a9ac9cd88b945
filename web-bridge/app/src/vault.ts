// Where the refresh token lives between page loads: sessionStorage (this tab only, gone when it
// closes; never localStorage), and only encrypted (AES-GCM) with a key that cannot be exported.
// The key is a non-extractable CryptoKey kept in IndexedDB: a script can ask the browser to use it
// while it runs in the page, but no script, extension dump or copied profile storage ever sees the
// token or the key's bytes. The strict Content-Security-Policy (no inline scripts, no eval, Markdown
// without HTML) is what keeps scripts out of the page in the first place; the server's refresh
// rotation with reuse detection ends a session whose old token is replayed.

const DB_NAME = "arena-vault";
const STORE = "keys";
const KEY_ID = "refresh-token";
const ITEM = "arena.refresh";

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function database(): Promise<IDBDatabase> {
  const open = indexedDB.open(DB_NAME, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE);
  return request(open);
}

async function vaultKey(): Promise<CryptoKey> {
  const db = await database();
  try {
    const found = (await request(db.transaction(STORE).objectStore(STORE).get(KEY_ID))) as CryptoKey | undefined;
    if (found) return found;
    const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
    await request(db.transaction(STORE, "readwrite").objectStore(STORE).put(key, KEY_ID));
    return key;
  } finally {
    db.close();
  }
}

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

export async function saveRefreshToken(token: string): Promise<void> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await vaultKey(), new TextEncoder().encode(token));
  sessionStorage.setItem(ITEM, `${toBase64(iv)}.${toBase64(new Uint8Array(sealed))}`);
}

export async function loadRefreshToken(): Promise<string | null> {
  const stored = sessionStorage.getItem(ITEM);
  if (!stored) return null;
  const [iv, sealed] = stored.split(".");
  try {
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64(iv) }, await vaultKey(), fromBase64(sealed));
    return new TextDecoder().decode(plain);
  } catch {
    sessionStorage.removeItem(ITEM);
    return null;
  }
}

export function clearRefreshToken(): void {
  sessionStorage.removeItem(ITEM);
}
