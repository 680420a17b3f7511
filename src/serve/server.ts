// `createServer`: the local web app behind `dime serve` as a library (fastify for HTTP, ws through
// @fastify/websocket for live mode). Routes: the page; /api/models and /api/demo (what can be
// picked); /api/uploads/picture|video; /api/jobs (submit, status, server-sent events, cancel,
// result and side-by-side downloads); /api/status; /api/live (WebSocket). Every refusal is a 4xx
// with {error: one line}; the server keeps serving.
import { createReadStream, statSync } from "node:fs";

import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import multipart from "@fastify/multipart";
import websocket from "@fastify/websocket";

import { DEMO_ASSETS, demoAsset } from "./assets.js";
import { JobQueue, type Job } from "./jobs.js";
import { runLive } from "./live.js";
import { listModels, ModelCache, type ModelEntry } from "./models.js";
import { DEFAULT_LIMITS, type ServeLimits, type ServeOptions } from "./options.js";
import { pageFiles } from "./static.js";
import { receiveUpload, RequestError, type Upload, type UploadKind } from "./uploads.js";
import { WorkFolder } from "./work.js";

export interface DimeServer {
  app: FastifyInstance;
  work: WorkFolder;
  limits: ServeLimits;
  /** Starts listening; resolves to the page's address (http://host:port/). */
  listen(): Promise<string>;
  /** Cancels every job (removing its partial files), closes live sessions and the server, frees the models, removes the work files. */
  close(): Promise<void>;
}

interface JobBody {
  model: string;
  source: string;
  references?: string[];
  driving: string;
  mode?: "relative" | "absolute";
  adaptScale?: boolean;
  findBestFrame?: boolean;
  odeSteps?: number;
  crop?: "face" | "auto" | "center" | "none" | { x: number; y: number; width: number; height: number };
  faceIndex?: number;
  track?: "fixed" | "follow";
  pasteBack?: boolean;
  /** A smoothing strength; absent or false: none. */
  smooth?: number | false;
}

const ID = { type: "string", minLength: 1, maxLength: 64 } as const;
const JOB_SCHEMA = {
  type: "object",
  required: ["model", "source", "driving"],
  additionalProperties: false,
  properties: {
    model: ID,
    source: ID,
    references: { type: "array", maxItems: 8, items: ID },
    driving: ID,
    mode: { enum: ["relative", "absolute"] },
    adaptScale: { type: "boolean" },
    findBestFrame: { type: "boolean" },
    odeSteps: { type: "integer", minimum: 1, maximum: 100 },
    // As `dime animate --crop face|auto|center|none|X,Y,W,H` (a box in the source's pixels).
    crop: {
      anyOf: [
        { enum: ["face", "auto", "center", "none"] },
        {
          type: "object",
          required: ["x", "y", "width", "height"],
          additionalProperties: false,
          properties: {
            x: { type: "integer", minimum: 0, maximum: 100_000 },
            y: { type: "integer", minimum: 0, maximum: 100_000 },
            width: { type: "integer", minimum: 1, maximum: 100_000 },
            height: { type: "integer", minimum: 1, maximum: 100_000 },
          },
        },
      ],
    },
    faceIndex: { type: "integer", minimum: 0, maximum: 100 },
    track: { enum: ["fixed", "follow"] },
    pasteBack: { type: "boolean" },
    smooth: { anyOf: [{ const: false }, { type: "number", exclusiveMinimum: 0, maximum: 100 }] },
  },
} as const;

export async function createServer(options: ServeOptions = {}): Promise<DimeServer> {
  const limits: ServeLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const log = options.log ?? (() => undefined);
  const files = pageFiles();
  const work = new WorkFolder(options.workDir, limits.workBytes);
  const models = new ModelCache();
  const jobs = new JobQueue(work, limits.queue, log);
  const uploads = new Map<string, Upload>();
  const batch = options.batch ?? 8;

  const app = Fastify({
    logger: false,
    forceCloseConnections: true,
    bodyLimit: 64 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  });
  await app.register(multipart);
  await app.register(websocket, { options: { maxPayload: 64 * 2 ** 20 } });

  app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown }, _request, reply) => {
    if (error instanceof RequestError) return reply.code(error.status).send({ error: error.message });
    if (error.validation) return reply.code(400).send({ error: `malformed request: ${error.message}` });
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500)
      return reply.code(error.statusCode).send({ error: `malformed request: ${error.message.split("\n")[0]}` });
    log(`error: ${error.stack ?? error.message}`);
    return reply.code(500).send({ error: `the server failed: ${error.message.split("\n")[0]}` });
  });
  // Another site open in the user's browser could otherwise post uploads and jobs to this server,
  // or open live mode's WebSocket (neither needs CORS's permission): a request whose Origin is not
  // this server's own address is refused.
  app.addHook("onRequest", async (request, reply) => {
    const origin = request.headers.origin;
    if (origin === undefined) return;
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host !== request.headers.host)
      return reply
        .code(403)
        .send({ error: `requests from another site (${origin.slice(0, 100)}) are refused: open the page from this server` });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: "not found" }));

  app.get("/favicon.ico", (_request, reply) => reply.code(204).send());
  for (const [path, file] of files)
    app.get(path, (_request, reply) => reply.type(file.type).header("cache-control", "no-cache").send(file.body));

  const modelById = (id: string): ModelEntry => {
    const entry = listModels(options.modelsDir).find((m) => m.id === id);
    if (!entry) throw new RequestError(`unknown model id '${id.slice(0, 64)}': reload the page for the list`, 404);
    return entry;
  };
  /** A demo asset's or an upload's file, checked to be of `kind`. */
  const inputFile = (id: string, kind: UploadKind, what: string): string => {
    const asset = demoAsset(id);
    const upload = uploads.get(id);
    const found = asset ?? upload;
    if (!found) throw new RequestError(`${what}: unknown upload id '${id.slice(0, 64)}' (expired? upload it again)`, 404);
    if (found.kind !== kind) throw new RequestError(`${what}: '${asset?.label ?? upload?.name}' is a ${found.kind}, not a ${kind}`);
    return asset?.path ?? upload!.path;
  };
  /** A checked input's work path and the name the user knows it by (for messages). */
  const inputName = (id: string): [string, string] => {
    const asset = demoAsset(id);
    return asset ? [asset.path, asset.label] : [uploads.get(id)!.path, uploads.get(id)!.name];
  };
  const jobById = (id: string): Job => {
    const job = jobs.get(id);
    if (!job) throw new RequestError(`unknown job id '${id.slice(0, 64)}'`, 404);
    return job;
  };
  /** A result video, whole or one byte range (players seek and loop with ranges). */
  const sendVideo = (request: FastifyRequest, reply: FastifyReply, path: string, download: string | undefined) => {
    const size = statSync(path).size;
    reply.type("video/mp4").header("accept-ranges", "bytes").header("cache-control", "no-cache");
    if (download !== undefined) reply.header("content-disposition", `attachment; filename="${download}"`);
    const range = /^bytes=(\d*)-(\d*)$/.exec(request.headers.range ?? "");
    if (!range || (range[1] === "" && range[2] === "")) return reply.header("content-length", size).send(createReadStream(path));
    // "bytes=A-B", "bytes=A-" or the suffix form "bytes=-N" (the last N bytes).
    const start = range[1] === "" ? Math.max(0, size - Number(range[2])) : Number(range[1]);
    const end = range[1] === "" || range[2] === "" ? size - 1 : Math.min(Number(range[2]), size - 1);
    if (start > end || start >= size)
      return reply
        .code(416)
        .type("application/json")
        .header("content-range", `bytes */${size}`)
        .send({ error: `range ${request.headers.range} is outside the ${size} bytes` });
    return reply
      .code(206)
      .header("content-range", `bytes ${start}-${end}/${size}`)
      .header("content-length", end - start + 1)
      .send(createReadStream(path, { start, end }));
  };

  app.get("/api/models", async () =>
    listModels(options.modelsDir).map(({ id, name, size, step, refs, trainedOn, demo }) => ({
      id,
      name,
      width: size.width,
      height: size.height,
      step,
      refs,
      trainedOn,
      demo,
    })),
  );
  app.get("/api/demo", async () => DEMO_ASSETS.map(({ id, kind, label }) => ({ id, kind, label })));
  app.get<{ Params: { id: string } }>("/api/demo/:id", (request, reply) => {
    const asset = demoAsset(request.params.id);
    if (!asset) throw new RequestError(`unknown demo asset '${request.params.id.slice(0, 64)}'`, 404);
    return reply.type(asset.mime).send(createReadStream(asset.path));
  });
  app.get("/api/status", async () => ({ ...jobs.counts(), workBytes: work.usedBytes, workCapBytes: work.capBytes, uploads: uploads.size }));

  app.post<{ Params: { kind: string } }>("/api/uploads/:kind", async (request, reply) => {
    const kind = request.params.kind;
    if (kind !== "picture" && kind !== "video") throw new RequestError(`upload a 'picture' or a 'video', not '${kind.slice(0, 32)}'`, 404);
    const upload = await receiveUpload(request, kind, work, limits, (id) => uploads.delete(id));
    uploads.set(upload.id, upload);
    const { id, name, format, width, height, frames, duration, bytes } = upload;
    return reply.code(201).send({ id, kind, name, format, width, height, frames, duration, bytes });
  });

  app.post<{ Body: JobBody }>("/api/jobs", { schema: { body: JOB_SCHEMA } }, async (request, reply) => {
    const body = request.body;
    const mode = body.mode ?? "relative";
    if (mode === "absolute" && (body.adaptScale || body.findBestFrame))
      throw new RequestError("adapt scale and find best frame shape relative motion: turn them off for absolute motion");
    const model = modelById(body.model);
    const source = inputFile(body.source, "picture", "source");
    const references = (body.references ?? []).map((r, i) => inputFile(r, "picture", `reference ${i + 1}`));
    const driving = inputFile(body.driving, "video", "driving video");
    const names = new Map([body.source, ...(body.references ?? []), body.driving].map(inputName));
    const job = jobs.submit({
      modelId: model.id,
      inputs: [source, ...references, driving],
      request: () => ({
        model: models.get(model),
        size: model.size,
        source,
        references,
        driving,
        mode,
        adaptScale: Boolean(body.adaptScale),
        findBestFrame: Boolean(body.findBestFrame),
        odeSteps: body.odeSteps,
        batch,
        crop: body.crop ?? "auto",
        faceIndex: body.faceIndex,
        track: body.track,
        pasteBack: body.pasteBack,
        smooth: body.smooth === false ? undefined : body.smooth,
        names,
      }),
    });
    return reply.code(202).send(job.status);
  });
  app.get<{ Params: { id: string } }>("/api/jobs/:id", async (request) => jobById(request.params.id).status);
  app.delete<{ Params: { id: string } }>("/api/jobs/:id", async (request) => {
    const job = jobById(request.params.id);
    jobs.cancel(job);
    return job.status;
  });
  app.get<{ Params: { id: string } }>("/api/jobs/:id/events", (request, reply) => {
    const job = jobById(request.params.id);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    let off = () => {};
    const send = () => {
      res.write(`data: ${JSON.stringify(job.status)}\n\n`);
      if (job.finished) {
        off();
        res.end();
      }
    };
    off = job.subscribe(send);
    request.raw.on("close", off);
    send();
  });
  for (const [route, key] of [
    ["result.mp4", "video"],
    ["side-by-side.mp4", "sideBySide"],
  ] as const) {
    app.get<{ Params: { id: string }; Querystring: { download?: string } }>(`/api/jobs/:id/${route}`, (request, reply) => {
      const job = jobById(request.params.id);
      if (job.status.state !== "done" || !job.result) throw new RequestError(`job ${job.id} has no result (${job.status.state})`, 409);
      const name = `dime-${job.id.slice(0, 8)}${key === "sideBySide" ? "-side-by-side" : ""}.mp4`;
      return sendVideo(request, reply, job.result[key], request.query.download !== undefined ? name : undefined);
    });
  }

  app.get("/api/live", { websocket: true }, (socket) => {
    socket.once("message", (data, isBinary) => {
      void (async () => {
        try {
          if (isBinary) throw new RequestError("live mode: start with a text message {type: 'start', model, source}");
          let start: {
            type?: unknown;
            model?: unknown;
            source?: unknown;
            references?: unknown;
            mode?: unknown;
            adaptScale?: unknown;
            odeSteps?: unknown;
          };
          try {
            start = JSON.parse(String(data));
          } catch {
            throw new RequestError("live mode: the first message is not JSON");
          }
          if (start?.type !== "start" || typeof start.model !== "string" || typeof start.source !== "string")
            throw new RequestError("live mode: the first message must be {type: 'start', model, source}");
          const references = Array.isArray(start.references)
            ? start.references.filter((r): r is string => typeof r === "string").slice(0, 8)
            : [];
          const odeSteps =
            Number.isInteger(start.odeSteps) && (start.odeSteps as number) >= 1 && (start.odeSteps as number) <= 100
              ? (start.odeSteps as number)
              : undefined;
          const entry = modelById(start.model);
          await runLive(socket, {
            model: models.get(entry),
            size: entry.size,
            source: inputFile(start.source, "picture", "source"),
            references: references.map((r, i) => inputFile(r, "picture", `reference ${i + 1}`)),
            mode: start.mode === "absolute" ? "absolute" : "relative",
            adaptScale: start.adaptScale === true,
            odeSteps,
          });
        } catch (error) {
          const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
          if (!(error instanceof RequestError)) log(`live: ${message}`);
          if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type: "error", message }));
          socket.close();
        }
      })();
    });
  });

  let closing: Promise<void> | undefined;
  return {
    app,
    work,
    limits,
    async listen() {
      await app.listen({ port: options.port ?? 7860, host: options.host ?? "127.0.0.1" });
      const address = app.server.address();
      const port = typeof address === "object" && address ? address.port : options.port;
      const host = options.host ?? "127.0.0.1";
      return `http://${host.includes(":") ? `[${host}]` : host}:${port}/`;
    },
    close() {
      closing ??= (async () => {
        await jobs.close();
        for (const client of app.websocketServer?.clients ?? []) client.terminate();
        await app.close();
        models.dispose();
        work.close();
      })();
      return closing;
    },
  };
}
