// A loopback HTTP proxy in front of the emulator, one per deployed function in the scripts and
// the fault suite. It counts every AWS request (attempt) by service and action, and can answer a
// share of them with the throttling error AWS's query APIs return, instead of forwarding them.
import * as http from "node:http";
import { randomUUID } from "node:crypto";

export interface ProxyOptions {
  /** The emulator's endpoint, e.g. http://127.0.0.1:5000. */
  readonly target: string;
  /** Share of requests answered `400 Throttling` (0..1). */
  readonly throttleRate?: number;
  /** Random source (tests pass a seeded one). */
  readonly random?: () => number;
  /**
   * Answers chosen requests (by `service:Action`) with an error of AWS's query-protocol shape
   * instead of forwarding them, e.g. the AccessDenied an IAM policy would cause (moto enforces no
   * IAM). Returns undefined to forward.
   */
  readonly refuse?: (action: string) => { code: string; message: string } | undefined;
}

/** `Throttling` as RDS and SNS (query protocol) return it; the SDK retries it as a throttle. */
function throttlingResponse(): string {
  return (
    `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>` +
    `<Message>Rate exceeded</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`
  );
}

function actionOf(req: http.IncomingMessage, body: string): string {
  const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(
    String(req.headers.authorization ?? ""),
  )?.[1];
  const target = req.headers["x-amz-target"];
  const action =
    typeof target === "string"
      ? target.split(".").pop()
      : (new URLSearchParams(body).get("Action") ??
        new URL(req.url ?? "/", "http://x").searchParams.get("Action"));
  return `${service ?? "?"}:${action ?? "?"}`;
}

export class ThrottleProxy {
  /** Requests seen, by `service:Action` (forwarded and throttled alike: every attempt). */
  readonly calls = new Map<string, number>();
  /** Answers by HTTP status (what the emulator said, and the throttles answered here). */
  readonly statuses = new Map<number, number>();
  throttled = 0;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

  private constructor(
    private readonly server: http.Server,
    readonly endpoint: string,
    private readonly options: ProxyOptions,
  ) {}

  static async start(options: ProxyOptions): Promise<ThrottleProxy> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const proxy = new ThrottleProxy(server, `http://127.0.0.1:${port}`, options);
    server.on("request", (req, res) => proxy.handle(req, res));
    return proxy;
  }

  /** Total requests seen. */
  total(): number {
    let sum = 0;
    for (const n of this.calls.values()) sum += n;
    return sum;
  }

  reset(): void {
    this.calls.clear();
    this.throttled = 0;
  }

  setThrottleRate(rate: number): void {
    (this.options as { throttleRate?: number }).throttleRate = rate;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const action = actionOf(req, body.toString("utf8"));
      this.calls.set(action, (this.calls.get(action) ?? 0) + 1);
      const random = this.options.random ?? Math.random;
      if ((this.options.throttleRate ?? 0) > 0 && random() < (this.options.throttleRate ?? 0)) {
        this.throttled += 1;
        this.statuses.set(400, (this.statuses.get(400) ?? 0) + 1);
        const xml = throttlingResponse();
        res.writeHead(400, {
          "content-type": "text/xml",
          "content-length": Buffer.byteLength(xml),
        });
        res.end(xml);
        return;
      }
      const refusal = this.options.refuse?.(action);
      if (refusal) {
        const xml =
          `<ErrorResponse><Error><Type>Sender</Type><Code>${refusal.code}</Code>` +
          `<Message>${refusal.message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
        res.writeHead(403, {
          "content-type": "text/xml",
          "content-length": Buffer.byteLength(xml),
        });
        res.end(xml);
        return;
      }
      const target = new URL(this.options.target);
      const upstream = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
          agent: this.agent,
        },
        (up) => {
          const status = up.statusCode ?? 502;
          this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
          res.writeHead(status, up.headers);
          up.pipe(res);
        },
      );
      upstream.on("error", (err) => {
        this.statuses.set(502, (this.statuses.get(502) ?? 0) + 1);
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(`proxy: ${err.message}`);
      });
      upstream.end(body);
    });
  }

  close(): Promise<void> {
    this.agent.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
