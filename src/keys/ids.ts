import { hash, randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `bytes` as a base62 number, left-padded with '0' to `length` (enough digits for every value of that many bytes). */
function base62(bytes: Buffer, length: number): string {
  let n = BigInt(`0x${bytes.toString('hex') || '0'}`);
  let out = '';
  while (n > 0n) {
    out = BASE62[Number(n % 62n)]! + out;
    n /= 62n;
  }
  return out.padStart(length, '0');
}

export const SECRET_PREFIX = 'sk-rly-';
/** 62^43 > 2^256: every 32-byte secret fits in 43 digits, so secrets always have one length. */
const SECRET_DIGITS = 43;
const ID_DIGITS = 24;

/** A new gateway secret: `sk-rly-` + 43 base62 characters of 32 random bytes. Shown once, stored only as its digest. */
export const mintSecret = (): string => `${SECRET_PREFIX}${base62(randomBytes(32), SECRET_DIGITS)}`;

/** 62^24 > 2^136: 17 bytes always fit in 24 digits. */
const ID_BYTES = 17;

/** A new public key id: `key_` + 24 base62 characters (136 random bits). */
export const mintKeyId = (): string => `key_${base62(randomBytes(ID_BYTES), ID_DIGITS)}`;

/** A config key's id, derived from its name so it is the same on every instance and every restart. */
export const configKeyId = (name: string): string =>
  `key_${base62(hash('sha256', `reelay:config-key:${name}`, 'buffer').subarray(0, ID_BYTES), ID_DIGITS)}`;

/** One-shot crypto.hash: a fraction of createHash's cost on the per-request path. */
export const sha256 = (text: string): Buffer => hash('sha256', text, 'buffer');

/** `sk-rly-…abcd`: enough to recognise a secret, never enough to use it. */
export const redactSecret = (secret: string): string => {
  const prefix = secret.startsWith(SECRET_PREFIX) ? SECRET_PREFIX : secret.slice(0, 3);
  return `${prefix}…${secret.slice(-4)}`;
};

const KEY_ID = /^key_[0-9A-Za-z]{24}$/;

/** Whether `text` is shaped like a key id (minted or derived); anything else is unknown without a lookup. */
export const isKeyId = (text: string): boolean => KEY_ID.test(text);

/** The last characters of a secret, kept for display (`sk-rly-…abcd`): never enough to use it. */
export const SECRET_TAIL = 4;
export const secretTail = (secret: string): string => secret.slice(-SECRET_TAIL);

/** The display form of a minted secret known only by its tail. */
export const redactTail = (tail: string): string => `${SECRET_PREFIX}…${tail}`;
