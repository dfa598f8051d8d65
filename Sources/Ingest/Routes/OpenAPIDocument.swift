import HTTP1

/// `GET /openapi.json`: the HTTP API as OpenAPI 3.1, every route the engine serves (`x-route` names the route
/// as `/metrics` counts it), its parameters, statuses and error codes (`x-error-codes` on each response).
/// Written by hand beside the routes and checked by the tests: `openapi-spec-validator` validates it, and every
/// route name the routers set is in it (and nothing else).
enum OpenAPIDocument {
    static let response = HTTPResponse(
        status: 200, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-cache")],
        body: Array(json.utf8))

    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "resume-ingest",
    "version": "1",
    "summary": "Streaming resume ingestion: upload resumes, read back structured results.",
    "description": "Every error is `{\"error\":{\"code\",\"message\"}}`; each response below lists the codes it carries in `x-error-codes`. Authentication: `Authorization: Bearer <api key>` (made by `resume-ingest tenant create` / `key create`) or an HS256 JWT signed with `JWT_SECRET` whose `tenant` claim names the tenant (`exp` required, 60 s of clock skew allowed). Until a key is issued to any tenant, requests without credentials act for tenant `default`. Another tenant's batch or document is `404`, never `403`. The HTTP server itself may answer any request with 400 (malformed request), 408 (too slow), 413/431 (limits) or 503 (too many connections), with the same error shape."
  },
  "servers": [{"url": "/"}],
  "security": [{"bearer": []}, {}],
  "paths": {
    "/api/v1/bulk-parse-resumes": {
      "post": {
        "operationId": "uploadResumes",
        "x-route": "bulk-parse-resumes",
        "summary": "Upload one or many resumes (multipart `files` parts)",
        "description": "Each `files` part is streamed to the durable spool; the answer comes once every accepted file is safe on disk. A part over `MAX_FILE_SIZE` is rejected alone. The body may be sent `Content-Encoding: zstd`. With `wait`, the answer waits for the results (the shape of the synchronous service this engine replaces).",
        "parameters": [
          {"$ref": "#/components/parameters/IdempotencyKey"},
          {
            "name": "wait",
            "in": "query",
            "required": false,
            "description": "Seconds (0 to 300) to wait for the results before answering.",
            "schema": {"type": "number", "minimum": 0, "maximum": 300}
          },
          {
            "name": "Content-Encoding",
            "in": "header",
            "required": false,
            "schema": {"type": "string", "enum": ["identity", "zstd"]}
          },
          {
            "name": "job_id",
            "in": "query",
            "required": false,
            "description": "A job (`POST /api/v1/jobs`) the documents are scored for as soon as they are parsed: the batch gets a scoring run (`job.scoring.completed` fires once the batch and its scoring are done). An unknown job is `404` and nothing is read.",
            "schema": {"type": "string", "format": "uuid"}
          },
          {
            "name": "callback_url",
            "in": "query",
            "required": false,
            "description": "Where this batch's `batch.completed` webhook goes (else the tenant's webhook URL). Public http(s) addresses only unless `WEBHOOK_ALLOW_PRIVATE`.",
            "schema": {"type": "string", "format": "uri"}
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "multipart/form-data": {"schema": {"type": "object", "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}}}, "required": ["files"]}}
          }
        },
        "responses": {
          "200": {
            "description": "`wait` given and the batch completed in time: its results.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SynchronousAnswer"}}}
          },
          "202": {
            "description": "Accepted into the spool (or, with `wait`, not finished in time: the results so far and where to poll).",
            "headers": {"Idempotent-Replayed": {"$ref": "#/components/headers/IdempotentReplayed"}},
            "content": {"application/json": {"schema": {"oneOf": [{"$ref": "#/components/schemas/UploadAnswer"}, {"$ref": "#/components/schemas/SynchronousAnswer"}]}}}
          },
          "400": {"$ref": "#/components/responses/UploadBadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "402": {"$ref": "#/components/responses/QuotaExceeded"},
          "405": {"$ref": "#/components/responses/MethodNotAllowed"},
          "409": {"$ref": "#/components/responses/IdempotencyInFlight"},
          "413": {
            "description": "Too large: the request, or every file part was rejected (then `files[].error` says why for each).",
            "x-error-codes": ["request_too_large", "decompressed_too_large", "decompression_ratio_exceeded", "zstd_window_too_large", "all_files_rejected", "part_headers_too_large", "too_many_part_headers", "too_many_parts"],
            "content": {"application/json": {"schema": {"oneOf": [{"$ref": "#/components/schemas/Error"}, {"$ref": "#/components/schemas/UploadAnswer"}]}}}
          },
          "415": {
            "description": "Not `multipart/form-data` with a boundary, or an unsupported `Content-Encoding`.",
            "x-error-codes": ["unsupported_media_type", "unsupported_content_encoding"],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "422": {"$ref": "#/components/responses/IdempotencyReused"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "500": {"$ref": "#/components/responses/SpoolFailed"},
          "503": {"$ref": "#/components/responses/Unavailable"},
          "507": {"$ref": "#/components/responses/SpoolFailed"}
        }
      }
    },
    "/api/v1/imports": {
      "post": {
        "operationId": "importArchive",
        "x-route": "imports",
        "summary": "Import one archive of resumes (zip, tar, tar.gz, tar.zst)",
        "description": "The archive is spooled whole, then read entry by entry into documents of one batch; entries are data, never paths.",
        "parameters": [
          {"$ref": "#/components/parameters/IdempotencyKey"},
          {
            "name": "filename",
            "in": "query",
            "required": false,
            "description": "The archive's name (its batch's label).",
            "schema": {"type": "string"}
          },
          {
            "name": "job_id",
            "in": "query",
            "required": false,
            "description": "A job (`POST /api/v1/jobs`) the documents are scored for as soon as they are parsed: the batch gets a scoring run (`job.scoring.completed` fires once the batch and its scoring are done). An unknown job is `404` and nothing is read.",
            "schema": {"type": "string", "format": "uuid"}
          },
          {
            "name": "callback_url",
            "in": "query",
            "required": false,
            "description": "Where this batch's `batch.completed` webhook goes (else the tenant's webhook URL). Public http(s) addresses only unless `WEBHOOK_ALLOW_PRIVATE`.",
            "schema": {"type": "string", "format": "uri"}
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "application/zip": {"schema": {"type": "string", "format": "binary"}},
            "application/x-tar": {"schema": {"type": "string", "format": "binary"}}
          }
        },
        "responses": {
          "202": {
            "description": "The archive is safe in the spool.",
            "headers": {"Idempotent-Replayed": {"$ref": "#/components/headers/IdempotentReplayed"}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ImportAnswer"}}}
          },
          "400": {
            "description": "No body, or a bad `Idempotency-Key`.",
            "x-error-codes": ["empty_body", "invalid_idempotency_key", "idempotency_unsupported", "invalid_callback_url", "callback_unsupported"],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "402": {"$ref": "#/components/responses/QuotaExceeded"},
          "405": {"$ref": "#/components/responses/MethodNotAllowed"},
          "409": {"$ref": "#/components/responses/IdempotencyInFlight"},
          "413": {
            "description": "Over `MAX_IMPORT_SIZE`.",
            "x-error-codes": ["import_too_large"],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "415": {
            "description": "Not an archive, or compressed on the wire.",
            "x-error-codes": ["not_an_archive", "unsupported_content_encoding"],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "422": {"$ref": "#/components/responses/IdempotencyReused"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "500": {"$ref": "#/components/responses/SpoolFailed"},
          "503": {"$ref": "#/components/responses/Unavailable"},
          "507": {"$ref": "#/components/responses/SpoolFailed"}
        }
      }
    },
    "/api/v1/tenant": {
      "get": {
        "operationId": "getTenant",
        "x-route": "tenant",
        "summary": "Who the credentials act for, and its limits",
        "parameters": [
          {
            "name": "include",
            "in": "query",
            "required": false,
            "description": "`webhook` adds this month's document count, the webhook URL and its signing secret.",
            "schema": {"type": "string", "enum": ["webhook"]}
          }
        ],
        "responses": {
          "200": {
            "description": "The tenant.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Tenant"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "405": {"$ref": "#/components/responses/MethodNotAllowed"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/api/v1/batches/{id}": {
      "get": {
        "operationId": "getBatch",
        "x-route": "batch",
        "summary": "A batch: counts by status, progress, failures by code, per-item status",
        "parameters": [
          {"$ref": "#/components/parameters/Id"},
          {
            "name": "items_limit",
            "in": "query",
            "required": false,
            "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1000}
          },
          {
            "name": "items_after",
            "in": "query",
            "required": false,
            "description": "`items_next` of the previous page.",
            "schema": {"type": "string", "format": "uuid"}
          }
        ],
        "responses": {
          "200": {
            "description": "The batch.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Batch"}}}
          },
          "400": {"$ref": "#/components/responses/BadPage"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "405": {"$ref": "#/components/responses/MethodNotAllowed"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/DatabaseUnavailable"}
        }
      }
    },
    "/api/v1/batches/{id}/results": {
      "get": {
        "operationId": "getBatchResults",
        "x-route": "batch-results",
        "summary": "A batch's documents as NDJSON, one line each, cursor-paged",
        "parameters": [
          {"$ref": "#/components/parameters/Id"},
          {
            "name": "limit",
            "in": "query",
            "required": false,
            "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1000}
          },
          {
            "name": "cursor",
            "in": "query",
            "required": false,
            "description": "`Next-Cursor` of the previous page.",
            "schema": {"type": "string", "format": "uuid"}
          },
          {
            "name": "include",
            "in": "query",
            "required": false,
            "description": "`text` adds each document's extracted text.",
            "schema": {"type": "string", "enum": ["text"]}
          }
        ],
        "responses": {
          "200": {
            "description": "One JSON document per line. A full page carries `Next-Cursor` and `Link: <…>; rel=\"next\"`.",
            "headers": {"Next-Cursor": {"schema": {"type": "string"}, "description": "The cursor of the next page."}, "Link": {"schema": {"type": "string"}, "description": "The next page's URL, rel=\"next\"."}},
            "content": {"application/x-ndjson": {"schema": {"$ref": "#/components/schemas/Document"}}}
          },
          "400": {"$ref": "#/components/responses/BadPage"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "405": {"$ref": "#/components/responses/MethodNotAllowed"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/DatabaseUnavailable"}
        }
      }
    },
    "/api/v1/batches/{id}/retry-failed": {
      "post": {
        "operationId": "retryFailed",
        "x-route": "batch-retry-failed",
        "summary": "Put a batch's failed documents through the pipeline again",
        "description": "Only failures another try may change (not `unsupported_type`, `encrypted`, …) whose bytes this engine kept (`RETAIN_FAILED_HOURS`, 72 h after receipt); the answer lists the others and why.",
        "parameters": [{"$ref": "#/components/parameters/Id"}],
        "responses": {
          "202": {
            "description": "The retries are queued.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RetryAnswer"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "405": {"$ref": "#/components/responses/MethodNotAllowed"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/DatabaseUnavailable"}
        }
      }
    },
    "/api/v1/documents/{id}": {
      "get": {
        "operationId": "getDocument",
        "x-route": "document",
        "summary": "A document by the id its upload answered with (or its row's id)",
        "parameters": [
          {"$ref": "#/components/parameters/Id"},
          {
            "name": "include",
            "in": "query",
            "required": false,
            "description": "`text` adds the extracted text.",
            "schema": {"type": "string", "enum": ["text"]}
          }
        ],
        "responses": {
          "200": {
            "description": "The document; a re-upload of stored content resolves to the stored row (`duplicate`: true).",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Document"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "405": {"$ref": "#/components/responses/MethodNotAllowed"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/DatabaseUnavailable"}
        }
      },
      "delete": {
        "operationId": "deleteDocument",
        "x-route": "document",
        "summary": "Erase a document: its row, every batch item of its content, spooled and kept copies, cached results",
        "parameters": [{"$ref": "#/components/parameters/Id"}],
        "responses": {
          "204": {"description": "Erased."},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "405": {"$ref": "#/components/responses/MethodNotAllowed"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/DatabaseUnavailable"}
        }
      }
    },
    "/": {
      "get": {
        "operationId": "dashboard",
        "x-route": "dashboard",
        "security": [],
        "summary": "The dashboard: sign in with an API key, upload files or an archive, watch batches, read documents",
        "description": "A static page; its stylesheet and script are served under content-hashed names it links to (same route).",
        "responses": {
          "200": {"description": "The page.", "content": {"text/html": {"schema": {"type": "string"}}}},
          "405": {"$ref": "#/components/responses/MethodNotAllowed"}
        }
      }
    },
    "/health": {
      "get": {
        "operationId": "health",
        "x-route": "health",
        "security": [],
        "summary": "Liveness",
        "responses": {
          "200": {
            "description": "Alive.",
            "content": {"application/json": {"schema": {"type": "object", "properties": {"status": {"const": "ok"}}, "required": ["status"]}}}
          },
          "405": {"$ref": "#/components/responses/MethodNotAllowed"}
        }
      }
    },
    "/startup-status": {
      "get": {
        "operationId": "startupStatus",
        "x-route": "startup-status",
        "security": [],
        "summary": "What each component found at start-up (converters, database, LLM, spool)",
        "responses": {
          "200": {
            "description": "One entry per component.",
            "content": {"application/json": {"schema": {"type": "object", "properties": {"components": {"type": "object", "additionalProperties": {"type": "object", "properties": {"status": {"type": "string", "enum": ["ok", "degraded", "down"]}, "detail": {"type": "string"}}}}}}}}
          },
          "405": {"$ref": "#/components/responses/MethodNotAllowed"}
        }
      }
    },
    "/metrics": {
      "get": {
        "operationId": "metrics",
        "x-route": "metrics",
        "security": [],
        "summary": "Prometheus text format: every stage",
        "responses": {
          "200": {"description": "Metrics.", "content": {"text/plain": {"schema": {"type": "string"}}}},
          "405": {"$ref": "#/components/responses/MethodNotAllowed"}
        }
      }
    },
    "/openapi.json": {
      "get": {
        "operationId": "openapi",
        "x-route": "openapi",
        "security": [],
        "summary": "This document",
        "responses": {
          "200": {"description": "OpenAPI 3.1.", "content": {"application/json": {"schema": {"type": "object"}}}},
          "405": {"$ref": "#/components/responses/MethodNotAllowed"}
        }
      }
    },
    "/api/v1/jobs": {
      "post": {
        "operationId": "createJob",
        "x-route": "jobs",
        "summary": "Create a job that candidates are scored against",
        "description": "As JSON, or with the description as a file: any other `Content-Type` makes the body a file (pdf, docx, doc, rtf, odt, html, txt, a scan; up to `MAX_FILE_SIZE`) read through the engine's extraction and not kept, with the other fields in the query (`title`, `required_skills` and `nice_to_have_skills` comma-separated, `min_years`, `education`, `location`, and `filename`). The query is checked before the body is read.",
        "requestBody": {"required": true, "content": {
          "application/json": {"schema": {"$ref": "#/components/schemas/JobInput"}},
          "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
        "responses": {
          "201": {
            "description": "The job; `Location` is its URL.",
            "headers": {"Location": {"schema": {"type": "string"}}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Job"}}}
          },
          "400": {"$ref": "#/components/responses/JobBadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "405": {"$ref": "#/components/responses/MethodNotAllowed"},
          "413": {"$ref": "#/components/responses/JobFileTooLarge"},
          "422": {"$ref": "#/components/responses/JobFileUnreadable"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/DatabaseUnavailable"}
        }
      },
      "get": {
        "operationId": "listJobs",
        "x-route": "jobs",
        "summary": "The tenant's jobs, newest first",
        "parameters": [
          {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100}},
          {"name": "cursor", "in": "query", "required": false, "description": "`next_cursor` of the previous page.", "schema": {"type": "string", "format": "uuid"}}
        ],
        "responses": {
          "200": {
            "description": "A page of jobs.",
            "content": {"application/json": {"schema": {"type": "object", "properties": {"jobs": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}}, "next_cursor": {"type": ["string", "null"]}}}}}
          },
          "400": {"$ref": "#/components/responses/BadPage"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/DatabaseUnavailable"}
        }
      }
    },
    "/api/v1/jobs/{id}": {
      "get": {
        "operationId": "getJob",
        "x-route": "job",
        "summary": "A job, with its candidates counted by status",
        "parameters": [{"$ref": "#/components/parameters/Id"}],
        "responses": {
          "200": {"description": "The job.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Job"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "405": {"$ref": "#/components/responses/MethodNotAllowed"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/DatabaseUnavailable"}
        }
      },
      "patch": {
        "operationId": "changeJob",
        "x-route": "job",
        "summary": "Change a job: the fields given (null clears min_years, education, location); `revision` goes up and scores made before read `stale` until rescored",
        "parameters": [{"$ref": "#/components/parameters/Id"}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobInput"}}}},
        "responses": {
          "200": {"description": "The job.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Job"}}}},
          "400": {"$ref": "#/components/responses/JobBadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/DatabaseUnavailable"}
        }
      },
      "delete": {
        "operationId": "deleteJob",
        "x-route": "job",
        "summary": "Delete a job with its candidates and the scoring still queued (scoring in flight writes nothing after)",
        "parameters": [{"$ref": "#/components/parameters/Id"}],
        "responses": {
          "204": {"description": "Deleted."},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/DatabaseUnavailable"}
        }
      }
    },
    "/api/v1/jobs/{id}/description": {
      "put": {
        "operationId": "putJobDescription",
        "x-route": "job-description",
        "summary": "Replace a job's description with a file's text (read through the engine's extraction, not kept)",
        "parameters": [
          {"$ref": "#/components/parameters/Id"},
          {"name": "filename", "in": "query", "required": false, "schema": {"type": "string"}}
        ],
        "requestBody": {"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
        "responses": {
          "200": {"description": "The job, its revision one up.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Job"}}}},
          "400": {"$ref": "#/components/responses/JobBadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "405": {"$ref": "#/components/responses/MethodNotAllowed"},
          "413": {"$ref": "#/components/responses/JobFileTooLarge"},
          "422": {"$ref": "#/components/responses/JobFileUnreadable"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/DatabaseUnavailable"}
        }
      }
    },
    "/api/v1/jobs/{id}/score": {
      "post": {
        "operationId": "scoreCandidates",
        "x-route": "job-score",
        "summary": "Score a batch, documents, or every parsed document against the job",
        "description": "Give exactly one of `batch_id` (its documents, and those it has still to come), `document_ids` (documents' or batch items' ids) or `\"all\": true` (every parsed document). Each becomes a candidate: `pending` until scored, or `failed` with `not_parsed` when its document failed. A candidate already there is scored again and keeps its last score until then. The run completes when nothing of it is pending; its `job.scoring.completed` webhook goes to `callback_url`, else the tenant's webhook.",
        "parameters": [{"$ref": "#/components/parameters/Id"}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {
          "batch_id": {"type": "string", "format": "uuid"},
          "document_ids": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 10000},
          "all": {"type": "boolean", "const": true},
          "callback_url": {"type": "string", "format": "uri"}}}}}},
        "responses": {
          "202": {"description": "The run started.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ScoringRequest"}}}},
          "400": {"$ref": "#/components/responses/JobBadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "405": {"$ref": "#/components/responses/MethodNotAllowed"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/DatabaseUnavailable"}
        }
      }
    },
    "/api/v1/jobs/{id}/runs/{run}": {
      "get": {
        "operationId": "getScoringRun",
        "x-route": "job-run",
        "summary": "A scoring run: its candidates counted by status, and whether it completed",
        "parameters": [{"$ref": "#/components/parameters/Id"}, {"name": "run", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
        "responses": {
          "200": {"description": "The run.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ScoringRun"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "405": {"$ref": "#/components/responses/MethodNotAllowed"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/DatabaseUnavailable"}
        }
      }
    },
    "/api/v1/jobs/{id}/candidates": {
      "get": {
        "operationId": "listCandidates",
        "x-route": "job-candidates",
        "summary": "The job's candidates, best first (score, then document id), cursor-paged, as JSON or NDJSON",
        "parameters": [
          {"$ref": "#/components/parameters/Id"},
          {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100}},
          {"name": "cursor", "in": "query", "required": false, "description": "`next_cursor` (or `Next-Cursor`) of the previous page.", "schema": {"type": "string"}},
          {"name": "min_score", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0, "maximum": 100}},
          {"name": "status", "in": "query", "required": false, "schema": {"type": "string", "enum": ["pending", "scored", "failed"]}},
          {"name": "format", "in": "query", "required": false, "description": "`ndjson` for one candidate per line (also `Accept: application/x-ndjson`).", "schema": {"type": "string", "enum": ["json", "ndjson"]}}
        ],
        "responses": {
          "200": {
            "description": "A page of candidates. A full page carries `Next-Cursor` and `Link: <…>; rel=\"next\"`.",
            "headers": {"Next-Cursor": {"schema": {"type": "string"}, "description": "The cursor of the next page."}, "Link": {"schema": {"type": "string"}, "description": "The next page's URL, rel=\"next\"."}},
            "content": {
              "application/json": {"schema": {"type": "object", "properties": {"candidates": {"type": "array", "items": {"$ref": "#/components/schemas/Candidate"}}, "next_cursor": {"type": ["string", "null"]}}}},
              "application/x-ndjson": {"schema": {"$ref": "#/components/schemas/Candidate"}}
            }
          },
          "400": {"$ref": "#/components/responses/BadPage"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "405": {"$ref": "#/components/responses/MethodNotAllowed"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/DatabaseUnavailable"}
        }
      }
    },
    "/api/v1/jobs/{id}/candidates/{document}": {
      "get": {
        "operationId": "getCandidate",
        "x-route": "job-candidate",
        "summary": "One candidate with the resume's stored text, which its quotes' offsets index",
        "parameters": [{"$ref": "#/components/parameters/Id"}, {"name": "document", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
        "responses": {
          "200": {"description": "The candidate and `text`.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Candidate"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "405": {"$ref": "#/components/responses/MethodNotAllowed"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/DatabaseUnavailable"}
        }
      }
    },
    "/api/v1/webhooks/deliveries": {
      "get": {
        "operationId": "listWebhookDeliveries",
        "x-route": "webhook-deliveries",
        "summary": "The tenant's webhook delivery log, newest first",
        "description": "Each `batch.completed` message: POSTed with `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>` signed with the tenant's `whsec_` secret; retried with exponential backoff and full jitter (waits up to 5 s, 5 min, 30 min, 2 h, 5 h, 10 h) within 24 h of the first attempt; redirects are not followed; `410 Gone` disables the endpoint.",
        "parameters": [
          {
            "name": "limit",
            "in": "query",
            "required": false,
            "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}
          },
          {
            "name": "after",
            "in": "query",
            "required": false,
            "description": "`next` of the previous page.",
            "schema": {"type": "string"}
          }
        ],
        "responses": {
          "200": {
            "description": "A page of deliveries.",
            "content": {"application/json": {"schema": {"type": "object", "properties": {"deliveries": {"type": "array", "items": {"$ref": "#/components/schemas/WebhookDelivery"}}, "next": {"type": ["string", "null"]}}}}}
          },
          "400": {"$ref": "#/components/responses/BadPage"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "405": {"$ref": "#/components/responses/MethodNotAllowed"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/DatabaseUnavailable"}
        }
      }
    },
    "/api/v1/webhooks/deliveries/{id}": {
      "get": {
        "operationId": "getWebhookDelivery",
        "x-route": "webhook-delivery",
        "summary": "One delivery, with its payload",
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
        "responses": {
          "200": {
            "description": "The delivery.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WebhookDelivery"}}}
          },
          "404": {"$ref": "#/components/responses/NotFound"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "405": {"$ref": "#/components/responses/MethodNotAllowed"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/DatabaseUnavailable"}
        }
      }
    },
    "/api/v1/webhooks/deliveries/{id}/replay": {
      "post": {
        "operationId": "replayWebhookDelivery",
        "x-route": "webhook-replay",
        "summary": "Send a delivery again now (the same message id, a new signature)",
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
        "responses": {
          "202": {
            "description": "Queued.",
            "content": {"application/json": {"schema": {"type": "object", "properties": {"id": {"type": "string"}, "status": {"const": "pending"}}}}}
          },
          "404": {"$ref": "#/components/responses/NotFound"},
          "409": {
            "description": "The endpoint answered 410 Gone and is disabled.",
            "x-error-codes": ["endpoint_disabled"],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "405": {"$ref": "#/components/responses/MethodNotAllowed"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/DatabaseUnavailable"}
        }
      }
    }
  },
  "components": {
    "securitySchemes": {
      "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (`ri_…`) or an HS256 JWT with a `tenant` claim."
      }
    },
    "parameters": {
      "Id": {"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}},
      "IdempotencyKey": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": false,
        "description": "1 to 255 visible ASCII characters. A retry with the same key gets the first answer and stores nothing twice (kept `IDEMPOTENCY_KEY_HOURS`, 24 h); the same key with other files is `422`; while the first request is in flight, `409`.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255}
      }
    },
    "headers": {
      "IdempotentReplayed": {
        "description": "`true` when the answer is the first answer to this Idempotency-Key.",
        "schema": {"type": "string", "const": "true"}
      },
      "RetryAfter": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}
    },
    "responses": {
      "Unauthorized": {
        "description": "Missing, wrong, revoked or expired credentials.",
        "x-error-codes": [
          "missing_credentials",
          "invalid_credentials",
          "invalid_api_key",
          "revoked_api_key",
          "invalid_token",
          "token_expired",
          "unknown_tenant"
        ],
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "QuotaExceeded": {
        "description": "The tenant's monthly document limit: message `Monthly document limit reached (N/N)`; nothing of the request is stored.",
        "x-error-codes": ["quota_exceeded"],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "RateLimited": {
        "description": "Over the tenant's request rate.",
        "x-error-codes": ["rate_limited"],
        "headers": {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "NotFound": {
        "description": "No such batch, document, job, run or candidate for this tenant (another tenant's is not found either).",
        "x-error-codes": ["not_found"],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "MethodNotAllowed": {
        "description": "Another method is expected (`Allow` says which).",
        "x-error-codes": ["method_not_allowed", "body_too_large"],
        "headers": {"Allow": {"schema": {"type": "string"}}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "BadPage": {
        "description": "A page size out of range or a cursor that is not one.",
        "x-error-codes": ["invalid_parameter", "invalid_cursor"],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "UploadBadRequest": {
        "description": "No body or no file parts, a malformed multipart or zstd body, a bad `wait` or `Idempotency-Key`.",
        "x-error-codes": [
          "empty_body",
          "no_files",
          "invalid_boundary",
          "missing_closing_boundary",
          "malformed_delimiter",
          "no_parts",
          "boundary_in_part_headers",
          "malformed_part_header",
          "missing_content_disposition",
          "invalid_content_disposition",
          "invalid_zstd",
          "invalid_parameter",
          "wait_unsupported",
          "invalid_idempotency_key",
          "idempotency_unsupported",
          "invalid_callback_url",
          "callback_unsupported",
          "jobs_unsupported"
        ],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "IdempotencyInFlight": {
        "description": "The first request with this Idempotency-Key is still being answered.",
        "x-error-codes": ["idempotency_key_in_use"],
        "headers": {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "IdempotencyReused": {
        "description": "The Idempotency-Key was used with other files.",
        "x-error-codes": ["idempotency_key_reused"],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "SpoolFailed": {
        "description": "The spool could not store the upload (507: the disk is full); nothing was acknowledged.",
        "x-error-codes": ["spool_write_failed"],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "Unavailable": {
        "description": "The spool is above its high-water mark, or credentials, limits or idempotency cannot be checked now.",
        "x-error-codes": ["spool_full", "auth_unavailable", "quota_unavailable", "idempotency_unavailable"],
        "headers": {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "JobFileTooLarge": {
        "description": "The description file is over `MAX_FILE_SIZE`; nothing is kept.",
        "x-error-codes": ["file_too_large"],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "JobFileUnreadable": {
        "description": "Extraction could not read the description file (the extraction code is in the message), or found no text in it.",
        "x-error-codes": ["unreadable_description", "empty_job"],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "JobBadRequest": {
        "description": "A body that is not a JSON object, a field that is not a job's, a value out of range, a job without its title or description text, or a scoring request naming none or several of batch_id, document_ids and all.",
        "x-error-codes": ["invalid_json", "unknown_field", "invalid_parameter", "empty_job", "invalid_callback_url", "empty_body", "files_unsupported"],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "DatabaseUnavailable": {
        "description": "The database cannot be reached (or is not configured).",
        "x-error-codes": ["database_unavailable", "no_database", "auth_unavailable"],
        "headers": {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      }
    },
    "schemas": {
      "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
          "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}}
          }
        }
      },
      "FileEntry": {
        "type": "object",
        "required": ["id", "filename", "status"],
        "properties": {
          "id": {"type": ["string", "null"], "format": "uuid"},
          "filename": {"type": ["string", "null"]},
          "size": {"type": "integer"},
          "sha256": {"type": "string"},
          "status": {"type": "string", "enum": ["queued", "rejected"]},
          "error": {
            "type": "object",
            "properties": {"code": {"type": "string", "examples": ["file_too_large", "unexpected_field"]}, "message": {"type": "string"}}
          }
        }
      },
      "UploadAnswer": {
        "type": "object",
        "required": ["batch_id", "files"],
        "properties": {
          "batch_id": {"type": "string", "format": "uuid"},
          "files": {"type": "array", "items": {"$ref": "#/components/schemas/FileEntry"}},
          "error": {"type": "object"}
        }
      },
      "ImportAnswer": {
        "type": "object",
        "required": ["batch_id", "status", "archive"],
        "properties": {
          "batch_id": {"type": "string", "format": "uuid"},
          "status": {"const": "queued"},
          "archive": {
            "type": "object",
            "properties": {"id": {"type": "string"}, "filename": {"type": ["string", "null"]}, "size": {"type": "integer"}, "sha256": {"type": "string"}}
          }
        }
      },
      "SynchronousAnswer": {
        "type": "object",
        "required": ["batch_id", "completed", "count", "ok", "elapsed_ms", "results", "poll"],
        "properties": {
          "batch_id": {"type": "string", "format": "uuid"},
          "completed": {"type": "boolean"},
          "count": {"type": "integer"},
          "ok": {"type": "integer"},
          "elapsed_ms": {"type": "integer"},
          "poll": {"type": "string"},
          "rejected": {"type": "array", "items": {"$ref": "#/components/schemas/FileEntry"}},
          "results": {
            "type": "array",
            "items": {"type": "object", "properties": {"id": {"type": "string"}, "filename": {"type": ["string", "null"]}, "size": {"type": "integer"}, "sha256": {"type": "string"}, "status": {"type": "string", "description": "`ok` when parsed, the error code when failed, `queued` when not done."}, "error": {"type": ["string", "null"]}, "error_code": {"type": ["string", "null"]}, "parsed": {"type": ["object", "null"]}, "mime": {"type": ["string", "null"]}, "document_id": {"type": ["string", "null"]}, "duplicate": {"type": "boolean"}}}
          }
        }
      },
      "Tenant": {
        "type": "object",
        "required": ["tenant"],
        "properties": {
          "tenant": {"type": "string"},
          "monthly_limit": {"type": ["integer", "null"]},
          "rate_per_second": {"type": ["number", "null"]},
          "documents_this_month": {"type": "integer"},
          "webhook_url": {"type": ["string", "null"]},
          "webhook_secret": {
            "type": "string",
            "description": "`whsec_…`: the key that signs this tenant's webhooks (Standard Webhooks v1)."
          }
        }
      },
      "BatchItem": {
        "type": "object",
        "properties": {
          "id": {"type": "string", "format": "uuid"},
          "filename": {"type": ["string", "null"]},
          "status": {"type": "string", "enum": ["queued", "parsed", "failed"]},
          "duplicate": {"type": "boolean"},
          "error_code": {"type": ["string", "null"]}
        }
      },
      "Batch": {
        "type": "object",
        "required": ["batch_id", "counts", "progress", "completed", "items"],
        "properties": {
          "batch_id": {"type": "string", "format": "uuid"},
          "label": {"type": ["string", "null"]},
          "origin": {"type": ["string", "null"], "enum": ["upload", "import", null]},
          "created_at": {"type": "string"},
          "updated_at": {"type": "string"},
          "sealed": {"type": "boolean", "description": "Every item of the batch is known."},
          "expected": {"type": ["integer", "null"]},
          "completed": {"type": "boolean"},
          "completed_at": {"type": ["string", "null"]},
          "callback_url": {"type": ["string", "null"]},
          "counts": {
            "type": "object",
            "properties": {"total": {"type": "integer"}, "queued": {"type": "integer"}, "parsed": {"type": "integer"}, "failed": {"type": "integer"}, "duplicates": {"type": "integer"}}
          },
          "progress": {"type": "number", "minimum": 0, "maximum": 1},
          "failures_by_code": {"type": "object", "additionalProperties": {"type": "integer"}},
          "prompt_tokens": {"type": "integer"},
          "completion_tokens": {"type": "integer"},
          "cost_usd": {"type": "number"},
          "scoring_runs": {
            "type": "array",
            "description": "The scoring runs following this batch (an upload or import with `job_id`): `GET /api/v1/jobs/{job_id}/runs/{run_id}` counts each.",
            "items": {"type": "object", "properties": {"job_id": {"type": "string", "format": "uuid"}, "run_id": {"type": "string", "format": "uuid"}, "completed": {"type": "boolean"}}}
          },
          "items": {"type": "array", "items": {"$ref": "#/components/schemas/BatchItem"}},
          "items_next": {"type": ["string", "null"]}
        }
      },
      "Document": {
        "type": "object",
        "required": ["id", "status"],
        "properties": {
          "id": {"type": "string", "format": "uuid"},
          "document_id": {"type": ["string", "null"], "description": "The stored row's id (differs from `id` for a duplicate)."},
          "duplicate": {"type": "boolean"},
          "batch_id": {"type": ["string", "null"]},
          "filename": {"type": ["string", "null"]},
          "declared_type": {"type": ["string", "null"], "description": "The Content-Type the upload declared."},
          "detected_type": {"type": ["string", "null"], "description": "The MIME type detected from the bytes."},
          "size_bytes": {"type": "integer"},
          "sha256": {"type": "string"},
          "status": {"type": "string", "enum": ["queued", "parsed", "failed"]},
          "parsed": {"type": ["object", "null"], "description": "JSON Resume (jsonresume.org)."},
          "error": {
            "type": ["object", "null"],
            "properties": {"code": {"type": "string"}, "detail": {"type": ["string", "null"]}}
          },
          "extractor": {"type": ["string", "null"]},
          "ocr_used": {"type": ["boolean", "null"]},
          "page_count": {"type": ["integer", "null"]},
          "text_chars": {"type": ["integer", "null"]},
          "provider": {"type": ["string", "null"]},
          "model": {"type": ["string", "null"]},
          "prompt_tokens": {"type": ["integer", "null"]},
          "completion_tokens": {"type": ["integer", "null"]},
          "cost_usd": {"type": ["number", "null"]},
          "warnings": {"type": ["array", "null"], "items": {"type": "string"}},
          "confidence": {
            "type": ["object", "null"],
            "description": "The rules parser's confidence in its reading (null when the rules did not read the text). With provider `openai` and `weak` true, the LLM read the document again because the rules were unsure (LLM_WHEN_UNSURE).",
            "properties": {
              "score": {"type": "number", "minimum": 0, "maximum": 1, "description": "The core score over name, e-mail, work and education."},
              "weak": {"type": "boolean", "description": "The core fields are too doubtful to keep without a second reading."},
              "fields": {"type": "object", "additionalProperties": {"type": "number"}, "description": "Scores 0..1 by field path: basics.name, basics.email, work, work[0], education, skills..."}
            }
          },
          "received_at": {"type": "string"},
          "updated_at": {"type": ["string", "null"]},
          "text": {"type": ["string", "null"]}
        }
      },
      "RetryAnswer": {
        "type": "object",
        "required": ["batch_id", "retried", "not_retried"],
        "properties": {
          "batch_id": {"type": "string"},
          "retried": {"type": "integer"},
          "not_retried": {
            "type": "array",
            "items": {"type": "object", "properties": {"document_id": {"type": "string"}, "error_code": {"type": ["string", "null"]}, "reason": {"type": "string", "enum": ["lasting_failure", "bytes_not_kept"]}}}
          }
        }
      },
      "JobInput": {
        "type": "object",
        "description": "title and description are required to create; a change (PATCH) gives any of the fields.",
        "additionalProperties": false,
        "properties": {
          "title": {"type": "string", "maxLength": 300},
          "description": {"type": "string", "description": "The job's text."},
          "required_skills": {"type": "array", "items": {"type": "string", "maxLength": 100}, "maxItems": 200},
          "nice_to_have_skills": {"type": "array", "items": {"type": "string", "maxLength": 100}, "maxItems": 200},
          "min_years": {"type": ["number", "null"], "minimum": 0, "maximum": 80},
          "education": {"type": ["string", "null"], "enum": ["associate", "bachelor", "master", "doctorate", null]},
          "location": {"type": ["string", "null"], "maxLength": 200}
        }
      },
      "Job": {
        "type": "object",
        "properties": {
          "id": {"type": "string", "format": "uuid"},
          "title": {"type": "string"},
          "description": {"type": "string"},
          "required_skills": {"type": "array", "items": {"type": "string"}},
          "nice_to_have_skills": {"type": "array", "items": {"type": "string"}},
          "min_years": {"type": ["number", "null"]},
          "education": {"type": ["string", "null"]},
          "location": {"type": ["string", "null"]},
          "source": {"type": ["object", "null"], "description": "Where the description came from when it was a file: `{filename, detected_type, extractor}`."},
          "revision": {"type": "integer"},
          "created_at": {"type": "string"},
          "updated_at": {"type": "string"},
          "candidates": {"type": "object", "properties": {"total": {"type": "integer"}, "pending": {"type": "integer"}, "scored": {"type": "integer"}, "failed": {"type": "integer"}}}
        }
      },
      "ScoringRequest": {
        "type": "object",
        "properties": {
          "run_id": {"type": "string", "format": "uuid"},
          "job_id": {"type": "string", "format": "uuid"},
          "requested": {"type": "integer", "description": "Candidates made (or made pending again)."},
          "not_parsed": {"type": "integer", "description": "Of those, failed at once: their document failed."},
          "not_found": {"type": "array", "items": {"type": "string"}, "description": "Ids given that name nothing of the tenant's."},
          "not_ready": {"type": "array", "items": {"type": "string"}, "description": "Items whose document is not written yet (score them once it is)."},
          "status_url": {"type": "string"},
          "candidates_url": {"type": "string"}
        }
      },
      "ScoringRun": {
        "type": "object",
        "properties": {
          "run_id": {"type": "string", "format": "uuid"},
          "job_id": {"type": "string", "format": "uuid"},
          "batch_id": {"type": ["string", "null"], "description": "The batch the run follows (an upload that named the job, or a batch asked to be scored)."},
          "requested": {"type": "integer"},
          "created_at": {"type": "string"},
          "completed": {"type": "boolean"},
          "completed_at": {"type": ["string", "null"]},
          "counts": {"type": "object", "properties": {"total": {"type": "integer"}, "pending": {"type": "integer"}, "scored": {"type": "integer"}, "failed": {"type": "integer"}}}
        }
      },
      "Reason": {
        "type": "object",
        "description": "Why the score is what it is, and the evidence: `quote` is the resume's stored text from character `start` to `end` (Unicode code points, 0-based, end exclusive: PostgreSQL's `substr(text, start + 1, end - start)`). Every quote is checked against the text before it is stored; one that is not in the resume is dropped and counted (`scoring_reasons_dropped_total`).",
        "properties": {
          "criterion": {"type": "string", "enum": ["required_skills", "nice_skills", "experience", "title", "education"]},
          "text": {"type": "string"},
          "quote": {"type": "string"},
          "start": {"type": "integer"},
          "end": {"type": "integer"}
        }
      },
      "Candidate": {
        "type": "object",
        "properties": {
          "document_id": {"type": "string", "format": "uuid"},
          "status": {"type": "string", "enum": ["pending", "scored", "failed"]},
          "score": {"type": ["integer", "null"], "minimum": 0, "maximum": 100, "description": "0-100; kept while a rescore is pending."},
          "sub_scores": {"type": ["object", "null"], "description": "Each criterion 0-1: required_skills (weight 0.45), nice_skills (0.10), experience (0.25), title (0.15), education (0.05); a criterion the job leaves empty drops out and the others are scaled up."},
          "reasons": {"type": "array", "items": {"$ref": "#/components/schemas/Reason"}},
          "missing_skills": {"type": "array", "items": {"type": "string"}},
          "years": {"type": ["number", "null"]},
          "stale": {"type": "boolean", "description": "Scored against an earlier revision of the job."},
          "scorer": {"type": ["string", "null"], "enum": ["rules", "llm", null]},
          "model": {"type": ["string", "null"]},
          "tokens": {"type": ["object", "null"]},
          "reasons_dropped": {"type": "integer"},
          "reasons_reanchored": {"type": "integer"},
          "error": {"type": ["object", "null"], "description": "`{code, detail}`: `not_parsed`, `llm_invalid_output`, `scoring_abandoned` (its scoring was claimed five times without an outcome: the engines scoring it stopped, or its result could not be written)."},
          "name": {"type": ["string", "null"]},
          "email": {"type": ["string", "null"]},
          "filename": {"type": ["string", "null"]},
          "batch_id": {"type": ["string", "null"]},
          "run_id": {"type": ["string", "null"]},
          "requested_at": {"type": "string"},
          "scored_at": {"type": ["string", "null"]},
          "text": {"type": "string", "description": "Only on `GET /jobs/{id}/candidates/{document}`."}
        }
      },
      "WebhookDelivery": {
        "type": "object",
        "properties": {
          "id": {
            "type": "string",
            "description": "The Standard Webhooks message id (`msg_…`), the same on every attempt and replay."
          },
          "batch_id": {"type": ["string", "null"]},
          "url": {"type": "string"},
          "event_type": {"type": "string"},
          "status": {"type": "string", "enum": ["pending", "delivered", "failed", "disabled"]},
          "attempts": {"type": "integer"},
          "next_attempt_at": {"type": ["string", "null"]},
          "last_attempt_at": {"type": ["string", "null"]},
          "last_status": {"type": ["integer", "null"]},
          "last_error": {"type": ["string", "null"]},
          "created_at": {"type": "string"},
          "delivered_at": {"type": ["string", "null"]},
          "payload": {"type": "object", "description": "The body sent: `{\"type\":\"batch.completed\",\"timestamp\",\"data\"}` (or `job.scoring.completed`, whose data is the scoring run)."}
        }
      }
    }
  }
}
"""#
}
