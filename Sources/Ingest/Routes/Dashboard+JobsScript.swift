extension Dashboard {
    /// The script's jobs part: the jobs list and form, a job's ranked candidates, and one candidate with the
    /// quotes of its reasons highlighted in the resume's text. Joined into ``javascript`` between its helpers and
    /// its wiring (one module: the functions here see the state and helpers declared before them).
    static let jobsScript = #"""
        // MARK: Jobs

        /** Reads the tenant's newest jobs into the list and the upload form's choice. */
        async function loadJobs() {
          const tenant = state.tenant;
          const answer = await api('/api/v1/jobs?limit=' + JOBS_PAGE);
          // Signed out (or in as another tenant) meanwhile: not this list.
          if (tenant !== state.tenant) return;
          if (answer.status === 401) {
            signOut(describe(answer));
            return;
          }
          if (answer.status !== 200 || !answer.json || typeof answer.json !== 'object') {
            $('jobs-message').textContent = describe(answer);
            return;
          }
          $('jobs-message').textContent = str(answer.json.next_cursor) ? 'The newest ' + JOBS_PAGE + ' jobs.' : '';
          state.jobs = objects(answer.json.jobs).filter((job) => str(job.id));
          renderJobs();
        }

        /** A job's candidates in a few words: how many, and how many of them are scored, pending or failed. */
        function jobSummary(job) {
          const counts = job.candidates && typeof job.candidates === 'object' ? job.candidates : {};
          const n = (name) => (typeof counts[name] === 'number' ? counts[name] : 0);
          if (n('total') === 0) return 'no candidates';
          return join([
            n('total') + (n('total') === 1 ? ' candidate' : ' candidates'), n('scored') > 0 && n('scored') + ' scored',
            n('pending') > 0 && n('pending') + ' pending', n('failed') > 0 && n('failed') + ' failed',
          ], ' · ');
        }

        function renderJobs() {
          state.jobItems = new Map();
          $('job-list').replaceChildren(...state.jobs.map((job) => {
            const id = str(job.id);
            const open = el('button', { class: 'link', text: str(job.title) || id, attrs: { type: 'button' } });
            open.addEventListener('click', () => openJob(id));
            const summary = el('small', { text: jobSummary(job) });
            const item = el('li', { attrs: { 'aria-current': String(state.job === id) } }, open, summary);
            state.jobItems.set(id, { item, open, summary });
            return item;
          }));
          $('no-jobs').hidden = state.jobs.length > 0;
          const select = $('upload-job');
          const chosen = select.value;
          select.replaceChildren(new Option('No job', ''),
            ...state.jobs.map((job) => new Option(str(job.title) || str(job.id), str(job.id))));
          select.value = state.jobs.some((job) => str(job.id) === chosen) ? chosen : '';
        }

        /** Creates a job from the form; then chooses it for uploads and opens it. */
        async function createJob() {
          const message = $('job-form-message');
          const title = $('job-title-input').value.trim();
          const description = $('job-description').value.trim();
          const years = $('job-years').value.trim();
          const fail = (text) => {
            message.textContent = text;
            message.classList.add('error');
          };
          if (!title || !description) return fail('A job needs a title and a description.');
          const body = {
            title, description, required_skills: $('job-skills').value.split(',').map((s) => s.trim()).filter(Boolean),
          };
          if (years) {
            body.min_years = Number(years);
            if (!Number.isFinite(body.min_years)) return fail('The minimum years is a number from 0 to 80.');
          }
          $('job-create').disabled = true;
          message.classList.remove('error');
          message.textContent = 'Creating…';
          const answer = await api('/api/v1/jobs', 'POST', body);
          $('job-create').disabled = false;
          if (answer.status === 401) {
            signOut(describe(answer));
            return undefined;
          }
          const id = answer.status === 201 && answer.json ? str(answer.json.id) : '';
          if (!id) return fail(describe(answer));
          message.textContent = 'Created ' + str(answer.json.title) + '; chosen for uploads.';
          $('job-form').reset();
          await loadJobs();
          $('upload-job').value = id;
          openJob(id);
          return undefined;
        }

        /** Shows the delete button, or (`asking`) the confirmation and the way back, focused. */
        function askDeleteJob(asking, focus = true) {
          $('job-delete').hidden = asking;
          $('job-delete-confirm').hidden = !asking;
          $('job-delete-keep').hidden = !asking;
          if (focus) $(asking ? 'job-delete-keep' : 'job-delete').focus();
        }

        /** Deletes the job shown, with its candidates; then closes it and reads the list again. */
        async function deleteJob() {
          const id = state.job;
          const run = state.jobRun;
          const known = state.jobs.find((job) => str(job.id) === id);
          const title = (known && str(known.title)) || id;
          const button = $('job-delete-confirm');
          button.disabled = true;
          const answer = await api('/api/v1/jobs/' + encodeURIComponent(id), 'DELETE');
          button.disabled = false;
          if (answer.status === 401) {
            signOut(describe(answer));
            return;
          }
          // Gone already (another tab, the API) counts as deleted.
          if (answer.status !== 204 && answer.status !== 404) {
            if (run === state.jobRun) {
              $('job-message').textContent = describe(answer);
              $('job-message').classList.add('error');
            }
            return;
          }
          if (state.job === id) closeJob();
          if ($('upload-job').value === id) $('upload-job').value = '';
          await loadJobs();
          $('jobs-message').textContent = 'Deleted ' + title + ' and its candidates.';
          $('jobs-title').focus();
        }

        function closeJob() {
          askDeleteJob(false, false);
          clearTimeout(state.jobTimer);
          state.jobRun += 1;
          state.candidateRun += 1;
          state.job = null;
          state.candidate = null;
          $('job').hidden = true;
          $('candidate').hidden = true;
        }

        /** Shows job `id` and its ranked candidates, polled while any is pending; `focus` moves focus to it. */
        function openJob(id, focus = true) {
          closeJob();
          Object.assign(state, {
            job: id, jobCursor: null, jobPrevious: [], jobNext: null, filter: { minScore: null, status: '' },
          });
          $('min-score').value = '';
          $('candidate-status').value = '';
          const known = state.jobs.find((job) => str(job.id) === id);
          $('job-title').textContent = (known && str(known.title)) || 'Job';
          $('job-meta').textContent = '';
          $('job-message').textContent = '';
          $('job-counts').replaceChildren();
          $('candidates-state').textContent = 'Loading…';
          clearCandidates();
          for (const [jobID, entry] of state.jobItems) entry.item.setAttribute('aria-current', String(jobID === id));
          $('job').hidden = false;
          const run = state.jobRun;
          refreshJob(run).then(() => {
            if (focus && run === state.jobRun) $('job-title').focus();
          });
        }

        function clearCandidates() {
          state.jobRows = new Map();
          $('candidates').tBodies[0].replaceChildren();
          $('no-candidates').hidden = true;
        }

        function jobPage(cursor, previous) {
          state.jobRun += 1;
          state.jobCursor = cursor;
          state.jobPrevious = previous;
          clearCandidates();
          refreshJob(state.jobRun);
        }

        /**
         * One read of the job, its current page of candidates and the batches awaited for it; again in a second
         * while a candidate is pending or an awaited batch is not complete. A batch seen complete is read once
         * more before it is let go: the candidates read beside it may have been answered just before its
         * documents became candidates.
         */
        async function refreshJob(run) {
          clearTimeout(state.jobTimer);
          const job = state.job;
          const base = '/api/v1/jobs/' + encodeURIComponent(job);
          let path = base + '/candidates?limit=' + CANDIDATES_PAGE;
          if (state.jobCursor) path += '&cursor=' + encodeURIComponent(state.jobCursor);
          if (state.filter.minScore !== null) path += '&min_score=' + state.filter.minScore;
          if (state.filter.status) path += '&status=' + encodeURIComponent(state.filter.status);
          const batches = [...state.awaiting].filter(([, wait]) => wait.job === job).map(([batch]) => batch);
          const [read, page, ...reads] = await Promise.all([api(base), api(path),
            ...batches.map((batch) => api('/api/v1/batches/' + encodeURIComponent(batch) + '?items_limit=1'))]);
          if (run !== state.jobRun) return;
          batches.forEach((batch, index) => {
            const wait = state.awaiting.get(batch);
            const answer = reads[index];
            if (!wait) return;
            if (answer.status === 200 && answer.json && answer.json.completed === true) {
              if (wait.seen) state.awaiting.delete(batch);
              wait.seen = true;
            } else if (answer.status === 404 && Date.now() - wait.at > RECORDING_MS) {
              state.awaiting.delete(batch);
            }
          });
          const failed = [read, page].find((a) => a.status !== 200 || !a.json || typeof a.json !== 'object');
          if (failed) {
            $('candidates-state').textContent = describe(failed);
            if (failed.status === 401) {
              signOut(describe(failed));
            } else if (read.status === 404) {
              $('job-meta').textContent = 'This job is gone (deleted, or not this tenant\'s).';
              loadJobs();
            } else if (failed.status !== 400) {
              const seconds = Math.min(60, Math.max(1, Number(failed.retryAfter) || 5));
              state.jobTimer = setTimeout(() => refreshJob(run), seconds * 1000);
            }
            return;
          }
          const pending = renderJob(read.json);
          const awaited = batches.some((batch) => state.awaiting.has(batch));
          renderCandidates(objects(page.json.candidates));
          state.jobNext = str(page.json.next_cursor) || null;
          $('candidates-next').hidden = !state.jobNext;
          $('candidates-previous').hidden = !state.jobCursor;
          const counts = read.json.candidates && typeof read.json.candidates === 'object' ? read.json.candidates : {};
          const n = (name) => (typeof counts[name] === 'number' ? counts[name] : 0);
          if (pending > 0) {
            $('candidates-state').textContent = 'Scoring: ' + (n('scored') + n('failed')) + ' of ' + n('total')
              + ' done.';
          } else if (awaited) {
            $('candidates-state').textContent = 'Waiting for the uploaded documents to be parsed…';
          } else if (n('total') === 0) {
            $('candidates-state').textContent = 'No candidates yet: upload resumes naming this job, or score the '
              + 'parsed documents.';
          } else {
            $('candidates-state').textContent = 'Done: ' + n('scored') + ' scored, ' + n('failed') + ' failed.';
          }
          if (pending > 0 || awaited) state.jobTimer = setTimeout(() => refreshJob(run), POLL_MS);
        }

        /** The job's title, what it asks for and its counts; the number of candidates pending. */
        function renderJob(job) {
          $('job-title').textContent = str(job.title) || str(job.id) || 'Job';
          const required = strings(job.required_skills);
          const nice = strings(job.nice_to_have_skills);
          $('job-meta').textContent = join([
            required.length > 0 && 'requires ' + required.join(', '),
            nice.length > 0 && 'nice to have ' + nice.join(', '),
            typeof job.min_years === 'number' && job.min_years + '+ years', job.education && str(job.education),
            job.location, typeof job.revision === 'number' && 'revision ' + job.revision,
          ], ' · ');
          const counts = job.candidates && typeof job.candidates === 'object' ? job.candidates : {};
          const n = (name) => (typeof counts[name] === 'number' ? counts[name] : 0);
          $('job-counts').replaceChildren(...[
            ['Candidates', 'total'], ['Pending', 'pending'], ['Scored', 'scored'], ['Failed', 'failed'],
          ].map(([label, name]) => el('div', {}, el('dt', { text: label }), el('dd', { text: n(name) }))));
          const id = str(job.id);
          const entry = state.jobItems.get(id);
          if (entry) {
            entry.open.textContent = str(job.title) || id;
            entry.summary.textContent = jobSummary(job);
          }
          return n('pending');
        }

        /**
         * Updates the candidate rows in place, in rank order: a row is moved only when its place changed, and
         * focus inside the table is put back if a move took it.
         */
        function renderCandidates(list) {
          const body = $('candidates').tBodies[0];
          const focused = document.activeElement;
          const seen = new Set();
          const offset = state.jobPrevious.length * CANDIDATES_PAGE;
          for (const candidate of list) {
            const id = str(candidate.document_id);
            if (!id || seen.has(id)) continue;
            let row = state.jobRows.get(id);
            if (!row) {
              row = {
                tr: el('tr'), rank: el('td', { class: 'n' }), score: el('td', { class: 'n' }),
                open: el('button', { class: 'link', attrs: { type: 'button' } }), file: el('small'), status: el('td'),
                missing: el('td'), last: '',
              };
              row.open.addEventListener('click', () => openCandidate(id));
              row.tr.append(row.rank, row.score, el('td', {}, row.open, row.file), row.status, row.missing);
              row.tr.dataset.id = id;
              state.jobRows.set(id, row);
            }
            const place = body.children[seen.size];
            if (place !== row.tr) body.insertBefore(row.tr, place || null);
            seen.add(id);
            const score = typeof candidate.score === 'number' ? String(candidate.score) : '';
            row.rank.textContent = String(offset + seen.size);
            row.score.textContent = score || '–';
            row.tr.dataset.score = score;
            const name = str(candidate.name);
            row.open.textContent = name || str(candidate.filename) || id;
            row.file.textContent = name ? str(candidate.filename) : '';
            row.file.hidden = !row.file.textContent;
            const status = str(candidate.status) || 'pending';
            const error = candidate.error && typeof candidate.error === 'object' ? str(candidate.error.code) : '';
            const badges = [el('span', { class: 'badge ' + status, text: status })];
            if (candidate.stale === true) {
              badges.push(el('span', {
                class: 'badge stale', text: 'stale', attrs: { title: 'Scored against an earlier revision of the job' },
              }));
            }
            if (error) badges.push(el('small', {}, el('code', { text: error })));
            row.status.replaceChildren(...badges);
            row.missing.textContent = strings(candidate.missing_skills).join(', ');
            row.tr.setAttribute('aria-current', String(state.candidate === id));
            // The candidate shown was rescored (or failed) since it was read: read it again.
            const last = [status, score, str(candidate.scored_at), candidate.stale === true].join('|');
            if (row.last && row.last !== last && state.candidate === id) openCandidate(id, false);
            row.last = last;
          }
          for (const [id, row] of state.jobRows) {
            if (!seen.has(id)) {
              row.tr.remove();
              state.jobRows.delete(id);
            }
          }
          if (focused && focused !== document.activeElement && body.contains(focused)) {
            focused.focus({ preventScroll: true });
          }
          $('no-candidates').hidden = seen.size > 0;
        }

        /** Asks for every parsed document of the tenant to be scored for the job shown. */
        async function scoreAll() {
          const run = state.jobRun;
          const button = $('job-score');
          const message = $('job-message');
          button.disabled = true;
          message.classList.remove('error');
          message.textContent = 'Asking…';
          const answer = await api('/api/v1/jobs/' + encodeURIComponent(state.job) + '/score', 'POST', { all: true });
          button.disabled = false;
          if (run !== state.jobRun) return;
          if (answer.status === 401) {
            signOut(describe(answer));
            return;
          }
          if (answer.status !== 202 || !answer.json || typeof answer.json !== 'object') {
            message.textContent = describe(answer);
            message.classList.add('error');
            return;
          }
          const n = typeof answer.json.requested === 'number' ? answer.json.requested : 0;
          message.textContent = n === 0 ? 'There are no parsed documents to score.'
            : 'Scoring ' + n + (n === 1 ? ' parsed document.' : ' parsed documents.');
          state.jobRun += 1;
          refreshJob(state.jobRun);
        }

        // MARK: Candidates

        /** Shows one candidate of the job shown with its evidence; `focus` moves focus to it once read. */
        async function openCandidate(id, focus = true) {
          const run = ++state.candidateRun;
          state.candidate = id;
          for (const [rowID, row] of state.jobRows) row.tr.setAttribute('aria-current', String(rowID === id));
          $('candidate').hidden = false;
          if (focus) {
            $('candidate-title').textContent = 'Candidate';
            $('candidate-meta').textContent = 'Loading…';
            $('candidate-error').textContent = '';
            $('candidate-score').textContent = '–';
            for (const list of ['candidate-sub-scores', 'candidate-missing', 'candidate-reasons', 'candidate-text']) {
              $(list).replaceChildren();
            }
          }
          const answer = await api('/api/v1/jobs/' + encodeURIComponent(state.job) + '/candidates/'
            + encodeURIComponent(id));
          if (run !== state.candidateRun) return;
          if (answer.status === 401) {
            signOut(describe(answer));
            return;
          }
          if (answer.status !== 200 || !answer.json || typeof answer.json !== 'object') {
            $('candidate-meta').textContent = describe(answer);
            return;
          }
          renderCandidate(answer.json);
          if (focus) $('candidate-title').focus();
        }

        function renderCandidate(c) {
          const name = str(c.name);
          $('candidate-title').textContent = name || str(c.filename) || str(c.document_id) || 'Candidate';
          $('candidate-meta').textContent = join([
            name && c.filename, c.status,
            typeof c.years === 'number' && Math.round(c.years * 10) / 10 + ' years of experience',
            c.stale === true && 'stale: scored against an earlier revision of the job',
          ], ' · ');
          const error = c.error && typeof c.error === 'object' ? c.error : null;
          $('candidate-error').textContent = error ? join([error.code, error.detail], ': ') : '';
          $('candidate-score').textContent = typeof c.score === 'number' ? String(c.score) : '–';

          const sub = c.sub_scores && typeof c.sub_scores === 'object' ? c.sub_scores : {};
          const order = Object.keys(CRITERIA);
          const entries = Object.entries(sub).filter(([, value]) => typeof value === 'number' && Number.isFinite(value))
            .sort(([a], [b]) => ((order.indexOf(a) + 1) || 99) - ((order.indexOf(b) + 1) || 99) || a.localeCompare(b));
          $('candidate-sub-scores').replaceChildren(...entries.flatMap(([key, value]) => {
            const share = Math.min(1, Math.max(0, value));
            return [el('dt', { text: CRITERIA[key] || key }), el('dd', {},
              el('meter', { attrs: { min: '0', max: '1', value: String(share), 'aria-hidden': 'true' } }),
              el('span', { text: Math.round(share * 100) + '%' }))];
          }));
          const missing = strings(c.missing_skills);
          $('candidate-missing').replaceChildren(...missing.map((skill) => el('li', { text: skill })));
          $('no-missing').hidden = missing.length > 0;

          const text = typeof c.text === 'string' ? c.text : '';
          const reasons = objects(c.reasons);
          const { nodes, marks } = highlight(text, reasons);
          $('candidate-text').replaceChildren(...(text ? nodes : [document.createTextNode('(no text)')]));
          $('candidate-reasons').replaceChildren(...reasons.map((reason, index) => {
            const own = marks.get(index) || [];
            const label = str(reason.text) || str(reason.criterion) || 'Reason';
            let head;
            if (own.length > 0) {
              head = el('button', { class: 'link', text: label, attrs: { type: 'button' } });
              head.addEventListener('click', () => showQuote(own));
            } else {
              head = el('span', { text: label });
            }
            const criterion = str(reason.criterion);
            const quote = typeof reason.quote === 'string' ? reason.quote : '';
            return el('li', { attrs: { 'data-reason': String(index) } }, head,
              criterion ? el('small', { text: CRITERIA[criterion] || criterion }) : null,
              quote ? el('q', { text: quote }) : null,
              own.length > 0 ? null : el('small', { text: '(not found in the text at its offsets)' }));
          }));
          if (reasons.length === 0) {
            $('candidate-reasons').append(el('li', { class: 'hint', text: 'No reasons.' }));
          }
        }

        /**
         * The resume's text as nodes, with each reason's quote in <mark>s. The offsets count code points (hence
         * Array.from), not UTF-16 units. A reason whose offsets are not whole numbers within the text, or whose
         * quote is not the text between them, gets no mark. Overlapping quotes cut the text into segments: each
         * mark lists every reason it belongs to (data-reasons), so a reason's quote is its marks' text in order.
         * Answers `{nodes, marks}`, marks by reason index.
         */
        function highlight(text, reasons) {
          const chars = Array.from(text);
          const ranges = [];
          reasons.forEach((reason, index) => {
            const { start, end } = reason;
            if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end <= start || end > chars.length) {
              return;
            }
            if (typeof reason.quote !== 'string' || chars.slice(start, end).join('') !== reason.quote) return;
            ranges.push({ index, start, end, label: str(reason.text) });
          });
          const cuts = [...new Set([0, chars.length, ...ranges.flatMap((r) => [r.start, r.end])])]
            .sort((a, b) => a - b);
          const nodes = [];
          const marks = new Map();
          for (let k = 0; k + 1 < cuts.length; k += 1) {
            const from = cuts[k];
            const to = cuts[k + 1];
            const piece = chars.slice(from, to).join('');
            const covering = ranges.filter((r) => r.start <= from && to <= r.end);
            if (covering.length === 0) {
              nodes.push(document.createTextNode(piece));
              continue;
            }
            const mark = el('mark', { text: piece, attrs: {
              'data-reasons': covering.map((r) => r.index).join(' '), title: join(covering.map((r) => r.label), '; '),
            } });
            for (const r of covering) {
              if (!marks.has(r.index)) marks.set(r.index, []);
              marks.get(r.index).push(mark);
            }
            nodes.push(mark);
          }
          return { nodes, marks };
        }

        /** Marks one reason's quote as the current one and scrolls the resume to it. */
        function showQuote(own) {
          for (const mark of $('candidate-text').querySelectorAll('mark.current')) mark.classList.remove('current');
          for (const mark of own) mark.classList.add('current');
          own[0].scrollIntoView({ block: 'nearest' });
        }

        """#
}
