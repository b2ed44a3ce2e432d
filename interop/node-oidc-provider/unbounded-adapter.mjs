// An in-memory storage adapter for oidc-provider with no size limit.
//
// Why: the library's built-in development adapter sits on an LRU cache with a
// small fixed capacity. Under a conformance run (many scenarios, each creating
// sessions, interactions, grants, codes and tokens) it silently drops entries,
// which then show up as spurious "invalid_grant" / "invalid_client" failures.
// This one keeps everything until it expires or is deleted.
//
// Model: one process-wide table of records keyed by "<Model>:<id>", each with
// an absolute expiry time (or none). Expired records are treated as absent on
// read and removed then (lazy expiry); a low-frequency sweep also drops them so
// a long soak run does not keep dead records forever.
//
// Secondary indexes:
//   - Session uid  -> session id      (findByUid)
//   - user code    -> device code id  (findByUserCode)
//   - (Model, grantId) -> set of ids  (revokeByGrantId)
// Index entries are only hints: every lookup goes back to the record table and
// checks that the record still exists, is unexpired and still matches.

const records = new Map(); // key -> { payload, expiresAt }  (expiresAt: ms epoch or Infinity)
const uidIndex = new Map(); // uid -> Session id
const userCodeIndex = new Map(); // userCode -> DeviceCode id
const grantIndex = new Map(); // "<Model>:<grantId>" -> Set<id>

const SWEEP_INTERVAL_MS = 60_000;

function now() {
  return Date.now();
}

function copy(value) {
  return value === undefined ? undefined : structuredClone(value);
}

function readLive(key) {
  const record = records.get(key);
  if (record === undefined) return undefined;
  if (record.expiresAt <= now()) {
    records.delete(key);
    return undefined;
  }
  return record;
}

function sweep() {
  const t = now();
  for (const [key, record] of records) {
    if (record.expiresAt <= t) records.delete(key);
  }
  for (const [uid, id] of uidIndex) {
    if (!records.has(`Session:${id}`)) uidIndex.delete(uid);
  }
  for (const [code, id] of userCodeIndex) {
    if (!records.has(`DeviceCode:${id}`)) userCodeIndex.delete(code);
  }
  for (const [gkey, ids] of grantIndex) {
    const model = gkey.slice(0, gkey.indexOf(':'));
    for (const id of ids) {
      if (!records.has(`${model}:${id}`)) ids.delete(id);
    }
    if (ids.size === 0) grantIndex.delete(gkey);
  }
}

// unref(): the timer must never keep the process alive on its own.
setInterval(sweep, SWEEP_INTERVAL_MS).unref();

export default class UnboundedMemoryAdapter {
  constructor(model) {
    this.model = model;
  }

  #key(id) {
    return `${this.model}:${id}`;
  }

  #grantKey(grantId) {
    return `${this.model}:${grantId}`;
  }

  #unindex(id, payload) {
    if (!payload) return;
    if (payload.uid !== undefined && uidIndex.get(payload.uid) === id) {
      uidIndex.delete(payload.uid);
    }
    if (payload.userCode !== undefined && userCodeIndex.get(payload.userCode) === id) {
      userCodeIndex.delete(payload.userCode);
    }
    if (payload.grantId !== undefined) {
      const ids = grantIndex.get(this.#grantKey(payload.grantId));
      if (ids) {
        ids.delete(id);
        if (ids.size === 0) grantIndex.delete(this.#grantKey(payload.grantId));
      }
    }
  }

  async upsert(id, payload, expiresIn) {
    const key = this.#key(id);
    const previous = records.get(key);
    if (previous) this.#unindex(id, previous.payload);

    const expiresAt = typeof expiresIn === 'number' && Number.isFinite(expiresIn)
      ? now() + expiresIn * 1000
      : Infinity;
    records.set(key, { payload: copy(payload), expiresAt });

    if (this.model === 'Session' && payload.uid !== undefined) {
      uidIndex.set(payload.uid, id);
    }
    if (payload.userCode !== undefined) {
      userCodeIndex.set(payload.userCode, id);
    }
    if (payload.grantId !== undefined) {
      const gkey = this.#grantKey(payload.grantId);
      let ids = grantIndex.get(gkey);
      if (!ids) {
        ids = new Set();
        grantIndex.set(gkey, ids);
      }
      ids.add(id);
    }
  }

  async find(id) {
    if (id === undefined) return undefined;
    return copy(readLive(this.#key(id))?.payload);
  }

  async findByUid(uid) {
    const id = uidIndex.get(uid);
    if (id === undefined) return undefined;
    const payload = await this.find(id);
    if (payload === undefined || payload.uid !== uid) {
      uidIndex.delete(uid);
      return undefined;
    }
    return payload;
  }

  async findByUserCode(userCode) {
    const id = userCodeIndex.get(userCode);
    if (id === undefined) return undefined;
    const payload = await this.find(id);
    if (payload === undefined || payload.userCode !== userCode) {
      userCodeIndex.delete(userCode);
      return undefined;
    }
    return payload;
  }

  async consume(id) {
    const record = readLive(this.#key(id));
    if (record) record.payload.consumed = Math.floor(now() / 1000);
  }

  async destroy(id) {
    const key = this.#key(id);
    const record = records.get(key);
    records.delete(key);
    if (record) this.#unindex(id, record.payload);
  }

  async revokeByGrantId(grantId) {
    const gkey = this.#grantKey(grantId);
    const ids = grantIndex.get(gkey);
    if (!ids) return;
    grantIndex.delete(gkey);
    for (const id of ids) {
      const key = this.#key(id);
      const record = records.get(key);
      records.delete(key);
      if (record) {
        // grant index entry is already gone; clear the other hints
        const { uid, userCode } = record.payload;
        if (uid !== undefined && uidIndex.get(uid) === id) uidIndex.delete(uid);
        if (userCode !== undefined && userCodeIndex.get(userCode) === id) userCodeIndex.delete(userCode);
      }
    }
  }

  // Not part of the adapter contract: counts for diagnostics (GET /__stats).
  static stats() {
    return {
      records: records.size,
      sessionUids: uidIndex.size,
      userCodes: userCodeIndex.size,
      grants: grantIndex.size,
    };
  }
}
