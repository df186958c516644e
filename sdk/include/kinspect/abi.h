/*
 * kinspect plugin ABI.
 *
 * This is the whole contract between the kinspect core and a plugin shared
 * object. It is pure C with fixed-width types, so a plugin can be written in C,
 * in C++ with any standard library, or in any language with a C FFI, and built
 * without kinspect's source tree. C++ authors normally use the header-only
 * layer in <kinspect/sdk.hpp> instead of this file.
 *
 * Naming (after Envoy's dynamic-module ABI):
 *   ki_*_t / ki_*        types
 *   ki_plugin_entry      the one symbol a plugin exports
 *   ki_plugin_api.*      functions the plugin implements (plugin -> host vtable)
 *   ki_host_api.*        functions the host implements (callbacks)
 *
 * Versioning (after Falco's plugin API):
 *   KI_ABI_MAJOR changes when an existing member changes meaning or layout;
 *   the host refuses a plugin with a different major.
 *   KI_ABI_MINOR grows when members are appended at the END of a struct.
 *   A plugin built against 1.x loads in any host that speaks 1.y with y >= x;
 *   a plugin that needs a newer minor than the host is refused. Members are
 *   only ever appended: never inserted, removed or reordered.
 *   Every struct starts with struct_size so either side can tell which
 *   appended members the other one has.
 *
 * Errors: functions return ki_rc; on KI_ERROR the plugin's last_error()
 * describes the failure. No C++ exception may cross this boundary.
 *
 * Ownership: a pointer the plugin returns stays valid until the next call into
 * the plugin with the same object (plugin or scan), or until that object is
 * destroyed/closed, whichever is first. The host copies what it keeps.
 * Pointers the host passes are valid only for the duration of the call.
 *
 * Threading: the host never calls into one plugin instance from two threads
 * at once, unless the plugin sets KI_FLAG_THREAD_SAFE, in which case calls on
 * different scans may run concurrently (calls on one scan never do).
 */
#ifndef KINSPECT_ABI_H
#define KINSPECT_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KI_ABI_MAJOR 1
#define KI_ABI_MINOR 4

#if defined(_WIN32)
#define KI_PLUGIN_EXPORT __declspec(dllexport)
#else
#define KI_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* The name of the single symbol every plugin exports. */
#define KI_PLUGIN_ENTRY_SYMBOL "ki_plugin_entry"

typedef uint32_t ki_bool; /* 0 = false, anything else = true */

typedef int32_t ki_rc;
#define KI_OK 0          /* success */
#define KI_ERROR 1       /* failure; see last_error() */
#define KI_EOF 2         /* a scan has no more batches */
#define KI_UNSUPPORTED 3 /* the plugin does not implement this request */
#define KI_CANCELLED 4   /* the host asked the scan to stop */
/* (1.1) The source cannot provide this table here, which is not a failure
 * of the plugin: the server does not serve the resource, the credentials may
 * not read it, a snapshot did not capture it, an adapter was given no input.
 * last_error() says why and starts with a short cause, then ": " and the
 * details ("not served: the server does not serve /apis/x/v1/ys (404)").
 * The host reports the checks that read the table as not checked, never as
 * passed. Returned by scan_open or scan_next. */
#define KI_UNAVAILABLE 5

/* Plugin kinds: a bit set, a plugin may be several. */
#define KI_KIND_DRIVER 1u  /* declares tables and produces rows */
#define KI_KIND_CHECKS 2u  /* provides native checks */
#define KI_KIND_ADAPTER 4u /* a driver that reads another tool's output */
/* (1.3) Writes a finished report's findings back to the source (Kubernetes
 * Events, node conditions). A separate kind, so that a driver stays a
 * reader: the host calls publish_open only when the user turned write-back
 * on for that plugin (docs/daemon.md, "Write-back"). */
#define KI_KIND_PUBLISHER 8u

/* Plugin flags. */
#define KI_FLAG_THREAD_SAFE 1u /* scans may run concurrently, see above */

/* Log levels for ki_host_api.log. */
#define KI_LOG_ERROR 0u
#define KI_LOG_WARNING 1u
#define KI_LOG_INFO 2u
#define KI_LOG_DEBUG 3u

/* Opaque handles. ki_plugin_t and ki_scan_t belong to the plugin,
 * ki_host_t and ki_host_ctx_t to the host. */
typedef struct ki_plugin_t ki_plugin_t;
typedef struct ki_scan_t ki_scan_t;
typedef struct ki_host_t ki_host_t;
typedef struct ki_host_ctx_t ki_host_ctx_t;
typedef struct ki_host_cursor_t ki_host_cursor_t;

/* A byte buffer: not NUL-terminated unless said otherwise. The suffix tells
 * who owns the bytes (Envoy's convention). */
typedef struct ki_plugin_buf {
  const char* ptr;
  size_t len;
} ki_plugin_buf;
typedef ki_plugin_buf ki_host_buf;

/* A scalar value passed from the host: table-function arguments and
 * constraint operands. */
typedef uint32_t ki_value_type;
#define KI_VALUE_NULL 0u
#define KI_VALUE_BOOL 1u
#define KI_VALUE_INT 2u
#define KI_VALUE_REAL 3u
#define KI_VALUE_TEXT 4u
#define KI_VALUE_JSON 5u /* text holds a JSON document */

typedef struct ki_value {
  ki_value_type type;
  ki_bool b;
  int64_t i;
  double r;
  const char* text; /* TEXT and JSON: UTF-8, not NUL-terminated */
  size_t text_len;
} ki_value;

/* A constraint the query puts on a column (osquery's QueryContext). The
 * plugin MAY use it to produce fewer rows (e.g. fetch one namespace); the host
 * re-applies every constraint, so ignoring them is always correct, and a
 * plugin ignores an op it does not know. All constraints hold at once (AND).
 * The host sends `path = 'text'` as KI_OP_EQ and, to plugins built against
 * 1.1 or later, `path IN ('a', 'b')` as one KI_OP_IN per value, all with the
 * same path: the path equals one of them. It sends only text operands today,
 * and only where every query reading the scan's rows agrees (docs/kcql.md,
 * "Push-down"). Fields are joined with '.' from the column; a field that
 * itself contains '.' (a label key such as "app.kubernetes.io/name") is
 * written as is, so "metadata.labels.app.kubernetes.io/name". */
typedef uint32_t ki_op;
#define KI_OP_EQ 1u
#define KI_OP_NE 2u
#define KI_OP_LT 3u
#define KI_OP_LE 4u
#define KI_OP_GT 5u
#define KI_OP_GE 6u
#define KI_OP_LIKE 7u
#define KI_OP_IN 8u /* (1.1) see above */

typedef struct ki_constraint {
  const char* path; /* dotted path from the column, NUL-terminated, e.g. "metadata.namespace" */
  ki_op op;
  ki_value value;
} ki_constraint;

/* What the host asks of one scan.
 *
 * Rows come back in batches through scan_next(). A batch is UTF-8 text
 * holding zero or more JSON objects separated by optional whitespace (a JSON
 * text sequence, one object per row, e.g. newline-delimited). Each object's
 * keys are column names. A plugin should keep batches to a few MiB so neither
 * side holds a whole table at once. */
typedef struct ki_scan_request {
  uint32_t struct_size;
  const char* table; /* NUL-terminated table name, e.g. "k8s.pods" */

  /* Table-function arguments, in declaration order. */
  const ki_value* args;
  uint32_t arg_count;

  /* Projection: the dotted paths the query reads ("metadata.name",
   * "status.conditions"). A plugin MAY omit everything else from its rows and
   * SHOULD do so when that saves work. path_count == 0 means all columns.
   * A dot inside a key is escaped with a backslash: the host asks for one
   * annotation as "metadata.annotations.kinspect\.io/waive". A last key "#"
   * is one no object has: "spec.containers.livenessProbe.#" asks only
   * whether a value is there (UNNEST's element count, IS NULL), so the value
   * at the path before it must be kept, if only as {}. A plugin that
   * projects only top-level fields never needs to know. */
  const char* const* paths;
  uint32_t path_count;

  const ki_constraint* constraints;
  uint32_t constraint_count;

  /* The host's context for this scan: pass it back to ki_host_api
   * callbacks (cancelled, log, table reads). */
  ki_host_ctx_t* ctx;
} ki_scan_request;

/* What the host asks of one native check. Findings come back through
 * scan_next() like rows: one JSON object per finding with the keys
 *   "object"   (string, required) what the finding is about, e.g. "node/n1"
 *   "message"  (string, required)
 *   "severity" (string, optional) overrides the check's severity
 *   "details"  (any JSON, optional) */
typedef struct ki_check_request {
  uint32_t struct_size;
  const char* check_id;     /* NUL-terminated */
  const char* params_json;  /* NUL-terminated JSON object: parameter name -> value */
  ki_host_ctx_t* ctx;       /* for reading tables through ki_host_api */
} ki_check_request;

/* (1.3) What the host asks of a publisher (KI_KIND_PUBLISHER): write the
 * findings of one finished report back to the source. request_json is a
 * NUL-terminated JSON object:
 *   {"cluster": "prod", "report_id": "prod/42", "generated_at": "RFC 3339",
 *    "findings": [{"check_id": "...", "title": "...", "severity": "critical|warning|info",
 *                  "object": "pod/shop/web-1", "message": "...", "remedy": "..."}],
 *    "resolved": ["node/n1"]}
 * `findings` holds only what the user chose to publish (a severity floor,
 * no waived findings); `resolved` names objects that had published findings
 * in the previous report and have none now, so that a publisher can clear
 * what it set. What was written comes back through scan_next() like rows,
 * one JSON object per write:
 *   {"object": "...", "write": "event|condition", "result": "created|updated|failed|skipped",
 *    "error": "..." (with failed and skipped)} */
typedef struct ki_publish_request {
  uint32_t struct_size;
  const char* request_json;
  ki_host_ctx_t* ctx; /* for cancelled() */
} ki_publish_request;

/* Host callbacks. */
typedef struct ki_host_api {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;
  ki_host_t* host;

  /* Writes one log line tagged with the plugin's name and `component`.
   * Required: always present. Threading: any thread. */
  void (*log)(ki_host_t* host, uint32_t level, const char* component, const char* message);

  /* Whether the host wants this scan or check to stop (timeout, shutdown).
   * Long-running plugins should poll it between batches and return
   * KI_CANCELLED. Required: always present. Threading: any thread. */
  ki_bool (*cancelled)(ki_host_ctx_t* ctx);

  /* For native checks and for scans (a table function whose rows come from
   * other tables' rows): read another table through the host, in batches,
   * with the ctx of the check or scan request, while it is open. The
   * request's table and paths are used, and its KI_OP_EQ / KI_OP_IN text
   * constraints are passed on to the table's driver, which may ignore them:
   * the reader filters the rows itself. table_open returns KI_OK and a
   * cursor, or KI_ERROR with the message retrievable from
   * host_last_error(ctx). table_next fills `batch` (same format as
   * scan_next; valid until the next call on the cursor) and returns KI_OK,
   * or KI_EOF when done. table_close frees the cursor.
   * Required: present in every host; may return KI_UNSUPPORTED where the
   * host serves no tables. */
  ki_rc (*table_open)(ki_host_ctx_t* ctx, const ki_scan_request* request, ki_host_cursor_t** cursor);
  ki_rc (*table_next)(ki_host_cursor_t* cursor, ki_host_buf* batch);
  void (*table_close)(ki_host_cursor_t* cursor);
  const char* (*host_last_error)(ki_host_ctx_t* ctx);

  /* Members appended in later minors go here. */
} ki_host_api;

/* The plugin's vtable, returned by ki_plugin_entry(). */
typedef struct ki_plugin_api {
  uint32_t struct_size; /* sizeof(ki_plugin_api) as the plugin was compiled */
  uint16_t abi_major;   /* KI_ABI_MAJOR the plugin was built against */
  uint16_t abi_minor;   /* KI_ABI_MINOR the plugin was built against */

  /* Identity. Required. NUL-terminated, static storage.
   * name: unique across plugins, [a-z0-9_.-]+; version: the plugin's own. */
  const char* name;
  const char* version;
  const char* description;
  uint32_t kinds; /* KI_KIND_* bits */
  uint32_t flags; /* KI_FLAG_* bits */

  /* Creates an instance. config_json is a NUL-terminated JSON object with the
   * plugin's settings (may be "{}"). On failure set *rc = KI_ERROR; the host
   * then calls last_error(returned) if it is not NULL, and destroy() on it.
   * Required. Threading: called once, before anything else. */
  ki_plugin_t* (*create)(const ki_host_api* host, const char* config_json, ki_rc* rc);

  /* Frees an instance; must join any thread the plugin started.
   * Required. Called after every scan is closed. */
  void (*destroy)(ki_plugin_t* plugin);

  /* The last error on this instance, NUL-terminated, or NULL.
   * Required. Valid until the next call into the instance. */
  const char* (*last_error)(ki_plugin_t* plugin);

  /* What the plugin offers, as NUL-terminated JSON:
   *   {"tables":[{"name":"k8s.pods","doc":"...",
   *               "columns":[{"name":"metadata","type":"json","doc":"...","hidden":false}],
   *               "arguments":[{"name":"path","type":"text","doc":"...","required":true}],
   *               "examples":["SELECT ..."]}],
   *    "checks":[{"id":"...","title":"...","category":"...","severity":"critical|warning|info",
   *               "component":"...","remedy":"...","doc":"https://...","reads":["k8s.nodes"],
   *               "params":{"name":default}}]}
   * Column types: text, integer, real, boolean, json, timestamp.
   * (1.4) A table may add "row_kind":"apps/v1/Deployment" (apiVersion/kind):
   * each row is an object of that Kubernetes kind, its columns the object's
   * top-level fields. The host then checks the paths that checks read
   * against the kind's schema (schemas/kubernetes.json) and refuses a field
   * the kind does not have. Leave it out for tables of any other shape.
   * (1.1) An optional top-level "settings" array declares the keys that
   * create() accepts in config_json, so the host can refuse a misspelt
   * setting before a run and list them in `kinspect plugins list`:
   *   "settings":[{"name":"root","type":"text","default":"/","doc":"..."}]
   * (types as for columns; "default" is any JSON value). A plugin without it
   * (1.0) gets its settings passed unchecked.
   * (1.4) Two more optional keys of a table, which older hosts ignore:
   *   "open_columns":true  every top-level field of a row is a column
   *                        (JSON), declared or not: objects of any kind;
   *   "made_of":["k8s.pods",...]  the plugin computes this table from those
   *                        of its own tables ("*": all without arguments),
   *                        so a snapshot captures them instead of it.
   * Required. Valid until the next call into the instance. */
  const char* (*describe)(ki_plugin_t* plugin);

  /* Starts a scan of one of the plugin's tables.
   * Required for KI_KIND_DRIVER and KI_KIND_ADAPTER, else NULL. */
  ki_rc (*scan_open)(ki_plugin_t* plugin, const ki_scan_request* request, ki_scan_t** scan);

  /* Produces the next batch. Returns KI_OK with a batch (possibly empty),
   * KI_EOF when there is nothing more (batch may still hold final rows),
   * KI_CANCELLED or KI_ERROR (see last_error).
   * Required with scan_open or check_open. */
  ki_rc (*scan_next)(ki_plugin_t* plugin, ki_scan_t* scan, ki_plugin_buf* batch);

  /* Ends a scan or check early or after KI_EOF; frees it.
   * Required with scan_open or check_open. */
  void (*scan_close)(ki_plugin_t* plugin, ki_scan_t* scan);

  /* Starts one native check; findings are read with scan_next/scan_close.
   * Required for KI_KIND_CHECKS, else NULL. */
  ki_rc (*check_open)(ki_plugin_t* plugin, const ki_check_request* request, ki_scan_t** scan);

  /* (1.2) Optional, both NULL or both set. The host may run several
   * instances of one plugin in a run (one per worker process), each created
   * with the same config_json. share() asks one instance for what the others
   * can start from instead of redoing it: a parsed configuration file, a
   * resolved connection. The instance may do that work now. It returns
   * NUL-terminated text of its own format (the ownership rule above), or
   * NULL when it has nothing to share. An error the work met belongs in the
   * text too, so that the other instances report it without meeting it
   * again. The text may hold credentials: the host keeps it in memory only,
   * hands it to adopt() of instances created with the same config_json by
   * the same host, and never logs, stores or reports it.
   * adopt() gives a new instance, right after create(), what share()
   * returned. KI_OK; or KI_ERROR (last_error), and the instance then works
   * from its config_json alone. */
  const char* (*share)(ki_plugin_t* plugin);
  ki_rc (*adopt)(ki_plugin_t* plugin, const char* shared);

  /* (1.3) Starts writing one report's findings back (ki_publish_request);
   * the outcome of each write is read with scan_next/scan_close.
   * Required for KI_KIND_PUBLISHER, else NULL. */
  ki_rc (*publish_open)(ki_plugin_t* plugin, const ki_publish_request* request, ki_scan_t** scan);

  /* Members appended in later minors go here; the host reads them only when
   * struct_size covers them. */
} ki_plugin_api;

/* The entry point. The host passes the ABI version it speaks; the plugin
 * returns its vtable (static storage) or NULL if it cannot work with that
 * host. The host checks abi_major/abi_minor before touching anything else. */
typedef const ki_plugin_api* (*ki_plugin_entry_fn)(uint16_t host_abi_major, uint16_t host_abi_minor);

#ifdef __cplusplus
}
#endif

#endif /* KINSPECT_ABI_H */
