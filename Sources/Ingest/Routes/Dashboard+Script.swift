extension Dashboard {
    /// The page's script: plain JavaScript, no framework and no build step. Kept in one module served from its
    /// own path (the policy allows no inline script). It writes what the engine answers with `textContent` only.
    static let javascript = basics + jobsScript + wiring

    /// Signing in, uploads, batches and documents: the constants, state and helpers the rest uses.
    private static let basics = #"""
        // The dashboard's script: signs in with an API key, uploads files or an archive, watches a batch and
        // opens its documents, keeps jobs and shows a job's ranked candidates with each one's evidence, all
        // through the engine's JSON API with `Authorization: Bearer <key>`, as any client would. The key lives in
        // this tab's sessionStorage only: not a cookie, so the browser never sends it on its own.
        //
        // What the engine answers that came from users (file names, resume fields, extracted text, job titles) is
        // untrusted: it is written with textContent only, never parsed as HTML.

        const KEY = 'resume-ingest.key';
        const OPEN = 'resume-ingest.open';
        const RECENT = 'resume-ingest.batches.';
        const PAGE = 200;
        const POLL_MS = 1000;
        const JOBS_PAGE = 100;
        const CANDIDATES_PAGE = 50;
        // The built-in scorer's criteria, as the sub-scores and reasons name them, in the order shown.
        const CRITERIA = {
          required_skills: 'Required skills', nice_skills: 'Nice-to-have skills', experience: 'Experience',
          title: 'Title', education: 'Education',
        };
        // An upload's batch is recorded just after its 202 answer, an archive's once the engine starts reading it
        // (behind whatever the spool holds): until then the batch is 404, believed only after this long.
        const RECORDING_MS = 300000;
        const ARCHIVE = /\.(zip|tar|tgz|tar\.gz|tar\.zst|tzst)$/i;
        const PREFIX = {
          401: 'Not signed in', 402: 'Monthly limit reached', 404: 'Not found', 413: 'Too large', 415: 'Not accepted',
          429: 'Too many requests', 503: 'Unavailable for now',
        };

        const $ = (id) => document.getElementById(id);

        // Who is signed in and what is on screen. `batchRun`, `documentRun`, `jobRun` and `candidateRun` count
        // openings: an answer that arrives for a batch page, a document, a page of candidates or a candidate no
        // longer shown is dropped. `awaiting` holds the batches this tab uploaded naming a job, until they complete
        // (their documents become candidates only once parsed, so the job is polled until then).
        const state = {
          key: null, tenant: null,
          batch: null, cursor: null, previous: [], next: null, batchRun: 0, timer: 0, rows: new Map(),
          remembered: false, uploadedAt: 0, selected: null, documentRun: 0,
          jobs: [], jobItems: new Map(), job: null, jobCursor: null, jobPrevious: [], jobNext: null, jobRun: 0,
          jobTimer: 0, jobRows: new Map(), filter: { minScore: null, status: '' }, awaiting: new Map(),
          candidate: null, candidateRun: 0,
        };

        // MARK: Small helpers

        /** An element with its class, text (always as text) and attributes, and children appended. */
        function el(tag, options = {}, ...children) {
          const node = document.createElement(tag);
          if (options.class) node.className = options.class;
          if (options.text !== undefined && options.text !== null) node.textContent = String(options.text);
          for (const [name, value] of Object.entries(options.attrs || {})) node.setAttribute(name, value);
          for (const child of children) if (child !== null && child !== undefined && child !== '') node.append(child);
          return node;
        }

        /** A string field of untrusted JSON, trimmed; '' for anything else. */
        function str(value) {
          if (typeof value === 'string') return value.trim();
          if (typeof value === 'number' && Number.isFinite(value)) return String(value);
          return '';
        }

        const objects = (value) => (Array.isArray(value) ? value.filter((v) => v && typeof v === 'object') : []);
        const strings = (value) => (Array.isArray(value) ? value.map(str).filter(Boolean) : []);
        const join = (parts, separator) => parts.map(str).filter(Boolean).join(separator);

        function when(iso) {
          const date = new Date(iso);
          return Number.isNaN(date.getTime()) ? str(iso) : date.toLocaleString();
        }

        function period(start, end) {
          const from = str(start);
          const to = str(end);
          if (!from && !to) return '';
          return (from || '?') + ' – ' + (to || 'present');
        }

        // MARK: Talking to the engine

        function authorization() {
          return state.key ? { Authorization: 'Bearer ' + state.key } : {};
        }

        /**
         * A call of the JSON API (a GET unless `method` says otherwise; `body`, when given, sent as JSON):
         * `{status, json, retryAfter}`; status 0 when the engine cannot be reached.
         */
        async function api(path, method = 'GET', body = undefined) {
          const headers = authorization();
          const init = { method, headers, cache: 'no-store' };
          if (body !== undefined) {
            headers['Content-Type'] = 'application/json';
            init.body = JSON.stringify(body);
          }
          let response;
          try {
            response = await fetch(path, init);
          } catch {
            return { status: 0, json: null, retryAfter: null };
          }
          const json = await response.json().catch(() => null);
          return { status: response.status, json, retryAfter: response.headers.get('Retry-After') };
        }

        /** A POST with upload progress (fetch has none), answering like `api`. */
        function post(url, body, onProgress) {
          return new Promise((resolve) => {
            const xhr = new XMLHttpRequest();
            xhr.open('POST', url);
            for (const [name, value] of Object.entries(authorization())) xhr.setRequestHeader(name, value);
            xhr.upload.onprogress = (event) => {
              if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
            };
            xhr.onload = () => {
              let json = null;
              try {
                json = JSON.parse(xhr.responseText);
              } catch {
                json = null;
              }
              resolve({ status: xhr.status, json, retryAfter: xhr.getResponseHeader('Retry-After') });
            };
            // The engine answers a body over its limit as soon as it knows and closes the connection; a browser still
            // sending then often reports only a network error.
            xhr.onerror = () => resolve({ status: 0, json: null, retryAfter: null, dropped: true });
            xhr.send(body);
          });
        }

        /** One line for a failed answer: what kind of refusal, the engine's message and code, and when to retry. */
        function describe(answer) {
          if (answer.status === 0) {
            return answer.dropped
              ? 'The connection closed before the upload finished (a body over the size limit is refused '
                + 'while it is being sent).'
              : 'The engine could not be reached.';
          }
          const error = answer.json && typeof answer.json === 'object' ? answer.json.error : null;
          const message = error && str(error.message) ? str(error.message) : 'HTTP ' + answer.status;
          const code = error && str(error.code) ? ' [' + str(error.code) + ']' : '';
          let line = (PREFIX[answer.status] || 'Error') + ' (' + answer.status + '): ' + message + code;
          if (answer.retryAfter && (answer.status === 429 || answer.status === 503)) {
            line += ' Retry after ' + answer.retryAfter + ' s.';
          }
          return line;
        }

        // MARK: Signing in

        async function signIn(key) {
          state.key = key || null;
          $('auth-message').textContent = '';
          for (const button of $('key-form').querySelectorAll('button')) button.disabled = true;
          const answer = await api('/api/v1/tenant');
          for (const button of $('key-form').querySelectorAll('button')) button.disabled = false;
          if (answer.status === 200 && answer.json && str(answer.json.tenant)) {
            if (state.key) {
              sessionStorage.setItem(KEY, state.key);
              sessionStorage.removeItem(OPEN);
            } else {
              sessionStorage.setItem(OPEN, '1');
              sessionStorage.removeItem(KEY);
            }
            signedIn(answer.json);
          } else {
            signOut(describe(answer));
            // Only a 401 says the key is wrong: while the engine is away or busy it stays (in the field too) for
            // another try.
            if (key && answer.status !== 401) {
              sessionStorage.setItem(KEY, key);
              $('key').value = key;
            }
          }
        }

        function signedIn(tenant) {
          state.tenant = str(tenant.tenant);
          const who = [el('span', { text: 'Tenant ' }), el('strong', { text: state.tenant })];
          if (!state.key) who.push(el('span', { text: ' (no key: the engine has issued none)' }));
          if (typeof tenant.monthly_limit === 'number') {
            who.push(el('span', { text: ' · ' + tenant.monthly_limit + ' documents a month' }));
          }
          $('who').replaceChildren(...who);
          $('key').value = '';
          $('sign-in').hidden = true;
          $('sign-out').hidden = false;
          $('app').hidden = false;
          renderRecent();
          loadJobs();
        }

        /** Forgets the key and everything shown for it; `message` says why when it was not the user's choice. */
        function signOut(message) {
          closeBatch();
          closeJob();
          state.jobs = [];
          state.awaiting.clear();
          renderJobs();
          $('jobs-message').textContent = '';
          $('job-form-message').textContent = '';
          state.key = null;
          state.tenant = null;
          sessionStorage.removeItem(KEY);
          sessionStorage.removeItem(OPEN);
          $('who').textContent = 'Not signed in';
          $('sign-out').hidden = true;
          $('app').hidden = true;
          $('sign-in').hidden = false;
          $('upload-message').textContent = '';
          $('upload-rejected').replaceChildren();
          $('auth-message').textContent = message || '';
        }

        // MARK: Uploading

        /** Sends `list`: each archive to /imports on its own, the other files as one multipart upload. */
        async function upload(list) {
          const files = Array.from(list || []);
          const message = $('upload-message');
          const rejected = $('upload-rejected');
          rejected.replaceChildren();
          if (files.length === 0) {
            message.textContent = 'Choose or drop files first.';
            return;
          }
          $('upload-button').disabled = true;
          // A job chosen: its id on every request, so each document is scored for it once parsed.
          const job = $('upload-job').value;
          const naming = job ? 'job_id=' + encodeURIComponent(job) : '';
          const sent = [];
          const failed = [];
          const send = async (url, body, label) => {
            message.textContent = 'Uploading ' + label + '…';
            const answer = await post(url, body, (fraction) => {
              message.textContent = 'Uploading ' + label + '… ' + Math.floor(fraction * 100) + '%';
            });
            const parts = objects(answer.json && answer.json.files);
            const refused = parts.filter((file) => file.error && typeof file.error === 'object');
            for (const file of refused) {
              rejected.append(el('li', { text: str(file.filename) + ': ' + str(file.error.message)
                + (str(file.error.code) ? ' [' + str(file.error.code) + ']' : '') }));
            }
            if (answer.status === 202 && answer.json && str(answer.json.batch_id)) {
              const taken = refused.length === 0 ? label
                : (parts.length - refused.length) + ' of ' + parts.length + ' files';
              sent.push({ id: str(answer.json.batch_id), label: taken });
            } else {
              failed.push({ label, answer });
            }
          };
          for (const archive of files.filter((f) => ARCHIVE.test(f.name))) {
            const path = '/api/v1/imports?filename=' + encodeURIComponent(archive.name) + (naming && '&' + naming);
            await send(path, archive, archive.name);
          }
          const others = files.filter((f) => !ARCHIVE.test(f.name));
          if (others.length > 0) {
            const form = new FormData();
            for (const file of others) form.append('files', file, file.name);
            const label = others.length === 1 ? others[0].name : others.length + ' files';
            await send('/api/v1/bulk-parse-resumes' + (naming && '?' + naming), form, label);
          }
          $('upload-button').disabled = false;
          $('files').value = '';
          const lines = failed.map((f) => f.label + ': ' + describe(f.answer));
          if (sent.length > 0) lines.unshift('Accepted ' + sent.map((s) => s.label).join(', ') + '.');
          message.textContent = lines.join(' ');
          message.classList.toggle('error', failed.length > 0);
          for (const batch of sent) remember(batch.id, batch.label);
          if (sent.length > 0) openBatch(sent[sent.length - 1].id, true);
          if (job && sent.length > 0) {
            for (const batch of sent) state.awaiting.set(batch.id, { job, at: Date.now(), seen: false });
            if (state.job === job) {
              state.jobRun += 1;
              refreshJob(state.jobRun);
            } else {
              openJob(job, false);
            }
          }
          const refused = failed.find((f) => f.answer.status === 401);
          if (refused) signOut(describe(refused.answer));
        }

        // MARK: Batches

        function recentKey() {
          return RECENT + (state.tenant || '');
        }

        function recent() {
          try {
            const list = JSON.parse(sessionStorage.getItem(recentKey()) || '[]');
            return objects(list).filter((entry) => str(entry.id));
          } catch {
            return [];
          }
        }

        /** Puts batch `id` first in this tab's recent list (twelve at most), keeping a label it had. */
        function remember(id, label) {
          const list = recent();
          const old = list.find((entry) => entry.id === id);
          const entry = { id, label: label || (old ? str(old.label) : ''), at: Date.now() };
          const next = [entry, ...list.filter((e) => e.id !== id)].slice(0, 12);
          sessionStorage.setItem(recentKey(), JSON.stringify(next));
          renderRecent();
        }

        function forget(id) {
          sessionStorage.setItem(recentKey(), JSON.stringify(recent().filter((e) => e.id !== id)));
          renderRecent();
        }

        function renderRecent() {
          const list = recent();
          $('recent').replaceChildren(...list.map((entry) => {
            const open = el('button', { class: 'link', text: entry.id, attrs: { type: 'button' } });
            open.addEventListener('click', () => openBatch(entry.id));
            return el('li', {}, open, entry.label ? el('small', { text: entry.label }) : null);
          }));
          $('no-recent').hidden = list.length > 0;
        }

        function closeBatch() {
          clearTimeout(state.timer);
          state.batchRun += 1;
          state.documentRun += 1;
          state.batch = null;
          $('batch').hidden = true;
          $('document').hidden = true;
        }

        /** Shows batch `id` and polls it; `uploaded` when this tab has just sent it (see RECORDING_MS). */
        function openBatch(id, uploaded = false) {
          closeBatch();
          Object.assign(state, { batch: id, cursor: null, previous: [], next: null, remembered: false });
          state.uploadedAt = uploaded ? Date.now() : 0;
          state.selected = null;
          $('batch-title').textContent = 'Batch ' + id;
          $('batch-meta').textContent = '';
          $('batch-percent').textContent = '';
          $('batch-state').textContent = 'Loading…';
          $('batch-progress').value = 0;
          $('batch-counts').replaceChildren();
          $('failures').tBodies[0].replaceChildren();
          clearItems();
          $('batch').hidden = false;
          refresh(state.batchRun);
        }

        function clearItems() {
          state.rows = new Map();
          $('items').tBodies[0].replaceChildren();
        }

        /** One read of the batch's current page; again in a second while the batch is not complete. */
        async function refresh(run) {
          clearTimeout(state.timer);
          let path = '/api/v1/batches/' + encodeURIComponent(state.batch) + '?items_limit=' + PAGE;
          if (state.cursor) path += '&items_after=' + encodeURIComponent(state.cursor);
          const answer = await api(path);
          if (run !== state.batchRun) return;
          if (answer.status === 200 && answer.json && typeof answer.json === 'object') {
            state.uploadedAt = 0;
            if (!state.remembered) {
              state.remembered = true;
              remember(state.batch);
            }
            renderBatch(answer.json);
            if (answer.json.completed !== true) state.timer = setTimeout(() => refresh(run), POLL_MS);
            return;
          }
          if (answer.status === 401) {
            signOut(describe(answer));
            return;
          }
          if (answer.status === 404 && state.uploadedAt && Date.now() - state.uploadedAt < RECORDING_MS) {
            $('batch-state').textContent = 'Queued: the engine has not recorded this batch yet…';
            state.timer = setTimeout(() => refresh(run), POLL_MS);
            return;
          }
          $('batch-state').textContent = describe(answer);
          if (answer.status === 404) {
            forget(state.batch);
            return;
          }
          const seconds = Math.min(60, Math.max(1, Number(answer.retryAfter) || 5));
          state.timer = setTimeout(() => refresh(run), seconds * 1000);
        }

        function page(cursor, previous) {
          state.batchRun += 1;
          state.cursor = cursor;
          state.previous = previous;
          clearItems();
          refresh(state.batchRun);
        }

        function renderBatch(batch) {
          const counts = batch.counts && typeof batch.counts === 'object' ? batch.counts : {};
          const n = (name) => (typeof counts[name] === 'number' ? counts[name] : 0);
          $('batch-meta').textContent = join([
            str(batch.origin) && 'from ' + str(batch.origin), batch.label,
            batch.created_at && 'created ' + when(batch.created_at),
            batch.sealed ? '' : 'still receiving files',
          ], ' · ');
          const progress = Math.min(1, Math.max(0, Number(batch.progress) || 0));
          $('batch-progress').value = progress;
          $('batch-percent').textContent = Math.floor(progress * 100) + '%';
          const done = n('parsed') + n('failed');
          $('batch-state').textContent = batch.completed === true
            ? 'Completed' + (batch.completed_at ? ' ' + when(batch.completed_at) : '') + '.'
            : 'Working: ' + done + ' of ' + n('total') + ' done.';
          $('batch-counts').replaceChildren(...[
            ['Total', 'total'], ['Queued', 'queued'], ['Parsed', 'parsed'], ['Failed', 'failed'],
            ['Duplicates', 'duplicates'],
          ].map(([label, name]) => el('div', {}, el('dt', { text: label }), el('dd', { text: n(name) }))));

          const failures = Object.entries(batch.failures_by_code && typeof batch.failures_by_code === 'object'
            ? batch.failures_by_code : {}).sort((a, b) => Number(b[1]) - Number(a[1]) || a[0].localeCompare(b[0]));
          $('failures').tBodies[0].replaceChildren(...failures.map(([code, count]) =>
            el('tr', {}, el('td', {}, el('code', { text: code })), el('td', { class: 'n', text: str(count) }))));
          $('failures').hidden = failures.length === 0;
          $('no-failures').hidden = failures.length > 0;

          renderItems(objects(batch.items));
          state.next = str(batch.items_next) || null;
          $('items-next').hidden = !state.next;
          $('items-previous').hidden = !state.cursor;
        }

        /** Updates the item rows in place (a row keeps its place and focus while the batch is polled). */
        function renderItems(items) {
          const body = $('items').tBodies[0];
          const seen = new Set();
          for (const item of items) {
            const id = str(item.id);
            if (!id) continue;
            seen.add(id);
            let row = state.rows.get(id);
            if (!row) {
              row = {
                tr: el('tr'), open: el('button', { class: 'link', attrs: { type: 'button' } }), status: el('td'),
                error: el('td'),
              };
              row.open.addEventListener('click', () => openDocument(id, row.open.textContent));
              row.tr.append(el('td', {}, row.open), row.status, row.error);
              row.tr.dataset.id = id;
              state.rows.set(id, row);
              body.append(row.tr);
            }
            row.open.textContent = str(item.filename) || id;
            const status = str(item.status) || 'queued';
            const badges = [el('span', { class: 'badge ' + status, text: status })];
            if (item.duplicate === true) badges.push(el('span', { class: 'dup', text: 'duplicate' }));
            row.status.replaceChildren(...badges);
            row.error.replaceChildren(...(str(item.error_code) ? [el('code', { text: str(item.error_code) })] : []));
            row.tr.setAttribute('aria-current', String(state.selected === id));
          }
          for (const [id, row] of state.rows) {
            if (!seen.has(id)) {
              row.tr.remove();
              state.rows.delete(id);
            }
          }
        }

        // MARK: Documents

        async function openDocument(id, filename) {
          const run = ++state.documentRun;
          state.selected = id;
          for (const [rowID, row] of state.rows) row.tr.setAttribute('aria-current', String(rowID === id));
          $('document').hidden = false;
          $('document-title').textContent = filename || 'Document';
          $('document-meta').textContent = 'Loading…';
          $('document-error').textContent = '';
          $('document-fields').replaceChildren();
          $('document-text').textContent = '';
          const answer = await api('/api/v1/documents/' + encodeURIComponent(id) + '?include=text');
          if (run !== state.documentRun) return;
          if (answer.status === 401) {
            signOut(describe(answer));
            return;
          }
          if (answer.status !== 200 || !answer.json || typeof answer.json !== 'object') {
            $('document-meta').textContent = describe(answer);
            return;
          }
          renderDocument(answer.json);
          $('document-title').focus();
        }

        function renderDocument(d) {
          $('document-title').textContent = str(d.filename) || str(d.id) || 'Document';
          const declared = str(d.declared_type);
          const detected = str(d.detected_type);
          $('document-meta').textContent = join([
            d.status, detected && 'detected ' + detected, declared && declared !== detected && 'declared ' + declared,
            typeof d.page_count === 'number' && d.page_count + (d.page_count === 1 ? ' page' : ' pages'),
            d.extractor && 'text by ' + str(d.extractor), d.ocr_used === true && 'OCR',
            d.duplicate === true && 'same content as ' + str(d.document_id),
          ], ' · ');
          const error = d.error && typeof d.error === 'object' ? d.error : null;
          $('document-error').textContent = error ? join([error.code, error.detail], ': ') : '';
          $('document-fields').replaceChildren(...resumeFields(d.parsed, str(d.status)));
          $('document-text').textContent = str(d.text) ? d.text : '(no text)';
        }

        /** A JSON Resume's fields as elements: what is present, in the usual order; nothing for what is missing. */
        function resumeFields(resume, status) {
          if (!resume || typeof resume !== 'object') {
            const why = status === 'queued' ? 'Not parsed yet.' : 'No fields were parsed.';
            return [el('p', { class: 'hint', text: why })];
          }
          const basics = resume.basics && typeof resume.basics === 'object' ? resume.basics : {};
          const place = basics.location && typeof basics.location === 'object'
            ? join([basics.location.address, basics.location.city, basics.location.region, basics.location.postalCode,
              basics.location.countryCode], ', ')
            : str(basics.location);
          const pairs = [
            ['Name', basics.name], ['Headline', basics.label], ['Email', basics.email], ['Phone', basics.phone],
            ['Location', place], ['Website', basics.url],
            ...objects(basics.profiles).map((p) => [str(p.network) || 'Profile', str(p.url) || str(p.username)]),
          ].filter(([, value]) => str(value));
          const out = [];
          if (pairs.length > 0) {
            out.push(section('Contact', el('dl', {}, ...pairs.flatMap(([label, value]) =>
              [el('dt', { text: label }), el('dd', { text: str(value) })]))));
          }
          if (str(basics.summary)) out.push(section('Summary', el('p', { text: str(basics.summary) })));
          const entries = (title, list, make) => {
            const nodes = objects(list).map(make).filter(Boolean);
            if (nodes.length > 0) out.push(section(title, ...nodes));
          };
          entries('Work', resume.work, (w) => entry(join([w.position, w.name], ' at '),
            [period(w.startDate, w.endDate), w.location], w.summary, w.highlights));
          entries('Education', resume.education, (e) => entry(str(e.institution) || str(e.area),
            [join([e.studyType, e.area], ', '), period(e.startDate, e.endDate), e.score && 'score ' + str(e.score)],
            '', e.courses));
          const skills = objects(resume.skills).map((s) => {
            const keywords = strings(s.keywords);
            const name = join([s.name, s.level && '(' + str(s.level) + ')'], ' ');
            return keywords.length ? join([name, keywords.join(', ')], ': ') : name;
          }).filter(Boolean);
          if (skills.length > 0) out.push(section('Skills', chips(skills)));
          const languages = objects(resume.languages)
            .map((l) => join([l.language, l.fluency && '(' + str(l.fluency) + ')'], ' ')).filter(Boolean);
          if (languages.length > 0) out.push(section('Languages', chips(languages)));
          entries('Certificates', resume.certificates, (c) => entry(c.name, [c.issuer, c.date], '', []));
          entries('Projects', resume.projects, (p) => entry(p.name, [period(p.startDate, p.endDate)], p.description,
            p.highlights));
          if (out.length === 0) out.push(el('p', { class: 'hint', text: 'The parser found no fields.' }));
          return out;
        }

        function section(title, ...nodes) {
          return el('div', { class: 'group' }, el('h3', { text: title }), ...nodes);
        }

        /** One work, school, certificate or project: a title, a line of when and where, a summary and highlights. */
        function entry(title, details, summary, highlights) {
          const heading = str(title);
          const line = join(details, ' · ');
          const points = strings(highlights);
          if (!heading && !line && !str(summary) && points.length === 0) return null;
          return el('div', { class: 'entry' },
            heading ? el('strong', { text: heading }) : null,
            line ? el('div', { class: 'when', text: line }) : null,
            str(summary) ? el('p', { text: str(summary) }) : null,
            points.length ? el('ul', {}, ...points.map((p) => el('li', { text: p }))) : null);
        }

        function chips(texts) {
          return el('ul', { class: 'chips' }, ...texts.map((t) => el('li', { text: t })));
        }

        """#

    /// The listeners, and the start.
    private static let wiring = #"""
        // MARK: Wiring

        function start() {
          $('key-form').addEventListener('submit', (event) => {
            event.preventDefault();
            const key = $('key').value.trim();
            if (!key) {
              $('auth-message').textContent = 'Enter an API key, or continue without one.';
              return;
            }
            signIn(key);
          });
          $('open-mode').addEventListener('click', () => signIn(null));
          $('sign-out').addEventListener('click', () => signOut(''));

          $('upload-form').addEventListener('submit', (event) => {
            event.preventDefault();
            upload($('files').files);
          });
          const drop = $('drop');
          drop.addEventListener('dragover', (event) => {
            event.preventDefault();
            drop.classList.add('over');
          });
          drop.addEventListener('dragleave', () => drop.classList.remove('over'));
          drop.addEventListener('drop', (event) => {
            event.preventDefault();
            drop.classList.remove('over');
            upload(event.dataTransfer.files);
          });
          // A file dropped beside the zone would otherwise replace the page with itself.
          window.addEventListener('dragover', (event) => event.preventDefault());
          window.addEventListener('drop', (event) => event.preventDefault());

          $('batch-form').addEventListener('submit', (event) => {
            event.preventDefault();
            const id = $('batch-id').value.trim();
            if (id) openBatch(id);
          });
          $('items-next').addEventListener('click', () => page(state.next, [...state.previous, state.cursor]));
          $('items-previous').addEventListener('click', () => {
            page(state.previous.at(-1) || null, state.previous.slice(0, -1));
          });

          $('job-form').addEventListener('submit', (event) => {
            event.preventDefault();
            createJob();
          });
          $('job-score').addEventListener('click', () => scoreAll());
          $('job-delete').addEventListener('click', () => askDeleteJob(true));
          $('job-delete-keep').addEventListener('click', () => askDeleteJob(false));
          $('job-delete-confirm').addEventListener('click', () => deleteJob());
          $('candidates-filter').addEventListener('submit', (event) => {
            event.preventDefault();
            const text = $('min-score').value.trim();
            const minScore = text ? Number(text) : null;
            if (minScore !== null && !(Number.isInteger(minScore) && minScore >= 0 && minScore <= 100)) {
              $('candidates-state').textContent = 'The minimum score is a whole number from 0 to 100.';
              return;
            }
            state.filter = { minScore, status: $('candidate-status').value };
            jobPage(null, []);
          });
          $('candidates-next').addEventListener('click', () => {
            jobPage(state.jobNext, [...state.jobPrevious, state.jobCursor]);
          });
          $('candidates-previous').addEventListener('click', () => {
            jobPage(state.jobPrevious.at(-1) || null, state.jobPrevious.slice(0, -1));
          });

          const key = sessionStorage.getItem(KEY);
          if (key) signIn(key);
          else if (sessionStorage.getItem(OPEN)) signIn(null);
        }

        start();

        """#
}
