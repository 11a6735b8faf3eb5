// The live event stream: one websocket, resumed from the last cursor after
// every drop so nothing committed is missed.

/**
 * @typedef {{type: string, cursor?: string, site_id: string, conversation_id: string, at: string, data: any}} Frame
 * @typedef {'open' | 'connecting' | 'closed'} SocketState
 */

/**
 * @typedef {object} SocketOptions
 * @property {() => Promise<string>} token        a fresh access token
 * @property {(f: Frame) => void} onFrame
 * @property {(s: SocketState, detail: string) => void} onState
 * @property {() => Promise<void>} checkAuth        throws when the session is over
 * @property {() => Promise<string>} resync         reloads state; returns a new cursor
 */

const MAX_DELAY = 30000;

export class LiveSocket {
  /** @param {SocketOptions} opts */
  constructor(opts) {
    this.opts = opts;
    /** @type {WebSocket | null} */
    this.ws = null;
    this.cursor = '';
    this.failures = 0;
    this.running = false;
    /** @type {number | undefined} */
    this.timer = undefined;
    /** @type {SocketState} */
    this.state = 'closed';
    this.generation = 0;

    window.addEventListener('online', () => this.kick());
    window.addEventListener('offline', () => {
      if (this.running) this.ws?.close();
    });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.kick();
    });
  }

  /**
   * Starts streaming after the given cursor (the inbox listing's).
   * @param {string} cursor
   */
  start(cursor) {
    this.stop();
    this.cursor = cursor || '';
    this.running = true;
    this.failures = 0;
    this.connect();
  }

  stop() {
    this.running = false;
    this.generation++;
    clearTimeout(this.timer);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.onclose = null;
      ws.onmessage = null;
      ws.onopen = null;
      ws.close(1000, 'bye');
    }
    this.setState('closed', 'stopped');
  }

  /** Reconnects now if a retry is pending (back online, tab visible again). */
  kick() {
    if (!this.running || this.ws) return;
    clearTimeout(this.timer);
    this.connect();
  }

  /**
   * Sends a client frame if the socket is open. Returns whether it was sent.
   * @param {object} frame
   */
  send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  /**
   * @param {SocketState} state
   * @param {string} detail
   */
  setState(state, detail) {
    this.state = state;
    this.opts.onState(state, detail);
  }

  async connect() {
    const gen = ++this.generation;
    this.setState('connecting', this.failures ? 'reconnecting' : 'connecting');
    if (!navigator.onLine) {
      this.setState('closed', 'offline'); // the 'online' event kicks us
      return;
    }
    let token;
    try {
      token = await this.opts.token();
    } catch (err) {
      if (gen !== this.generation) return;
      // A dead session stops everything (the app shows the sign-in screen);
      // a network error is retried.
      if (/** @type {any} */ (err)?.status === 401) {
        this.stop();
        return;
      }
      this.retry(gen, false);
      return;
    }
    if (gen !== this.generation || !this.running) return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = proto + '//' + location.host + '/api/v1/ws' + (this.cursor ? '?cursor=' + encodeURIComponent(this.cursor) : '');
    let ws;
    try {
      ws = new WebSocket(url, ['holler.v1', 'bearer.' + token]);
    } catch {
      this.retry(gen, false);
      return;
    }
    this.ws = ws;
    let openedAt = 0;
    ws.onopen = () => {
      if (gen !== this.generation) return;
      openedAt = Date.now();
      this.setState('open', 'connected');
    };
    ws.onmessage = (ev) => {
      if (gen !== this.generation) return;
      /** @type {Frame} */
      let frame;
      try {
        frame = JSON.parse(typeof ev.data === 'string' ? ev.data : '');
      } catch {
        return;
      }
      try {
        this.opts.onFrame(frame);
      } catch (err) {
        console.error('holler: frame handler failed', err);
      } finally {
        if (frame.cursor) this.cursor = frame.cursor;
      }
    };
    ws.onclose = (ev) => {
      if (gen !== this.generation) return;
      this.ws = null;
      // A socket that lived a while was healthy: come back quickly. One
      // that dies right after opening counts as a failure (backoff grows).
      const healthy = openedAt > 0 && Date.now() - openedAt > 5000;
      if (healthy) this.failures = 0;
      // 1008: the server ended the session (rights changed); 1013: this
      // socket fell behind. Both: resume from the cursor after a check.
      this.retry(gen, healthy, ev.code);
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  /**
   * Plans the next attempt with exponential backoff and full jitter.
   * @param {number} gen
   * @param {boolean} wasOpen
   * @param {number} [code]
   */
  async retry(gen, wasOpen, code = 0) {
    if (!this.running || gen !== this.generation) return;
    if (!wasOpen) this.failures++;
    this.setState('connecting', 'reconnecting');
    // A refused handshake looks like any other drop from a browser: after a
    // few, make sure the session is still good (this refreshes the token or
    // signs out), and after more, the cursor may be the problem (a reset
    // server): reload the inbox and start from a new cursor.
    if (code === 1008 || (this.failures > 0 && this.failures % 3 === 0)) {
      try {
        await this.opts.checkAuth();
      } catch (err) {
        if (/** @type {any} */ (err)?.status === 401) {
          this.stop();
          return;
        }
      }
    }
    if (this.failures > 0 && this.failures % 6 === 0 && navigator.onLine) {
      try {
        this.cursor = await this.opts.resync();
      } catch {
        // keep the old cursor; try again later
      }
    }
    if (!this.running || gen !== this.generation) return;
    const base = wasOpen ? 500 : Math.min(MAX_DELAY, 1000 * 2 ** Math.min(this.failures, 5));
    const delay = base / 2 + Math.random() * (base / 2);
    clearTimeout(this.timer);
    this.timer = window.setTimeout(() => {
      if (this.running && gen === this.generation) this.connect();
    }, delay);
  }
}
