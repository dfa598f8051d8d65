extension Dashboard {
    /// The page: its structure only. Every section but sign-in starts hidden; the script shows them once the
    /// engine has said who the key belongs to. The ids are what the script (and the browser test) find things
    /// by. No inline script or style: the policy forbids both.
    static func html(stylesheet: String, script: String) -> String {
        #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>resume-ingest</title>
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="\#(stylesheet)">
        <script type="module" src="\#(script)"></script>
        </head>
        <body>
        <header class="bar">
          <h1>resume-ingest</h1>
          <div class="who">
            <span id="who" aria-live="polite">Not signed in</span>
            <button id="sign-out" type="button" class="quiet" hidden>Sign out</button>
          </div>
        </header>
        <main>
        <section id="sign-in" class="card" aria-labelledby="sign-in-title">
          <h2 id="sign-in-title">Sign in</h2>
          <form id="key-form" autocomplete="off">
            <label for="key">API key</label>
            <div class="row">
              <input id="key" name="key" type="password" spellcheck="false" autocomplete="off" placeholder="ri_…"
                     aria-describedby="key-hint">
              <button type="submit">Sign in</button>
              <button id="open-mode" type="button" class="quiet">Continue without a key</button>
            </div>
            <p id="key-hint" class="hint">The key stays in this tab only (session storage) and is sent as
              <code>Authorization: Bearer</code>. Without a key works only while the engine has issued none.</p>
          </form>
          <p id="auth-message" class="message error" role="alert"></p>
        </section>

        <div id="app" hidden>
        <div class="top">
        <section id="upload" class="card" aria-labelledby="upload-title">
          <h2 id="upload-title">Upload</h2>
          <form id="upload-form">
            <div id="drop" class="drop">
              <p>Drop resumes here, or one archive<br><small>.zip, .tar, .tar.gz, .tgz, .tar.zst</small></p>
              <label for="files">Or choose files</label>
              <input id="files" name="files" type="file" multiple>
              <button id="upload-button" type="submit">Upload</button>
            </div>
            <div class="inline">
              <label for="upload-job">Score for job</label>
              <select id="upload-job" name="job" aria-describedby="upload-job-hint">
                <option value="">No job</option>
              </select>
            </div>
            <p id="upload-job-hint" class="hint">With a job chosen, each document is scored for it once parsed.</p>
          </form>
          <p id="upload-message" class="message" role="status" aria-live="polite"></p>
          <ul id="upload-rejected" class="rejected" aria-label="Files not accepted"></ul>
        </section>

        <section id="batches" class="card" aria-labelledby="batches-title">
          <h2 id="batches-title">Batches</h2>
          <form id="batch-form" autocomplete="off">
            <label for="batch-id">Batch id</label>
            <div class="row">
              <input id="batch-id" name="batch-id" type="text" spellcheck="false" autocapitalize="off">
              <button type="submit">Open</button>
            </div>
          </form>
          <h3>Recent in this tab</h3>
          <ul id="recent" class="recent"></ul>
          <p id="no-recent" class="hint">None yet.</p>
        </section>
        </div>

        <section id="jobs" class="card" aria-labelledby="jobs-title">
          <h2 id="jobs-title" tabindex="-1">Jobs</h2>
          <div class="split">
            <div>
              <ul id="job-list" class="recent" aria-label="The tenant's jobs, newest first"></ul>
              <p id="no-jobs" class="hint">None yet.</p>
              <p id="jobs-message" class="message" role="status"></p>
            </div>
            <form id="job-form" autocomplete="off" aria-labelledby="job-form-title">
              <h3 id="job-form-title">New job</h3>
              <label for="job-title-input">Title</label>
              <input id="job-title-input" name="title" type="text" required maxlength="300">
              <label for="job-description">Description</label>
              <textarea id="job-description" name="description" rows="3" required
                        aria-describedby="job-description-hint"></textarea>
              <p id="job-description-hint" class="hint">The text candidates are scored against.</p>
              <label for="job-skills">Required skills</label>
              <input id="job-skills" name="skills" type="text" aria-describedby="job-skills-hint">
              <p id="job-skills-hint" class="hint">Comma-separated, e.g. Python, SQL, Kubernetes.</p>
              <label for="job-years">Minimum years of experience</label>
              <div class="row">
                <input id="job-years" name="years" type="number" min="0" max="80" step="0.5" inputmode="decimal">
                <button id="job-create" type="submit">Create job</button>
              </div>
              <p id="job-form-message" class="message" role="status" aria-live="polite"></p>
            </form>
          </div>
        </section>

        <section id="job" class="card" aria-labelledby="job-title" hidden>
          <h2 id="job-title" tabindex="-1">Job</h2>
          <p id="job-meta" class="meta"></p>
          <div class="row">
            <button id="job-score" type="button">Score all parsed documents</button>
            <button id="job-delete" type="button">Delete job</button>
            <button id="job-delete-confirm" type="button" hidden>Delete it and its candidates</button>
            <button id="job-delete-keep" type="button" hidden>Keep it</button>
          </div>
          <p id="job-message" class="message" role="status" aria-live="polite"></p>
          <dl id="job-counts" class="counts"></dl>
          <form id="candidates-filter" class="filters" autocomplete="off">
            <div>
              <label for="min-score">Minimum score</label>
              <input id="min-score" name="min-score" type="number" min="0" max="100" step="1" inputmode="numeric">
            </div>
            <div>
              <label for="candidate-status">Status</label>
              <select id="candidate-status" name="status">
                <option value="">Any</option>
                <option value="scored">Scored</option>
                <option value="pending">Pending</option>
                <option value="failed">Failed</option>
              </select>
            </div>
            <button type="submit" class="quiet">Filter</button>
          </form>
          <p id="candidates-state" role="status"></p>
          <h3 id="candidates-title">Candidates, best first</h3>
          <div class="scroll">
          <table id="candidates" aria-labelledby="candidates-title">
            <thead><tr><th scope="col" class="n">Rank</th><th scope="col" class="n">Score</th>
              <th scope="col">Candidate</th><th scope="col">Status</th><th scope="col">Missing skills</th></tr></thead>
            <tbody></tbody>
          </table>
          </div>
          <p id="no-candidates" class="hint" hidden>No candidates yet.</p>
          <div class="pager">
            <button id="candidates-previous" type="button" class="quiet" hidden>Previous page</button>
            <button id="candidates-next" type="button" class="quiet" hidden>Next page</button>
          </div>
        </section>

        <section id="candidate" class="card" aria-labelledby="candidate-title" hidden>
          <h2 id="candidate-title" tabindex="-1">Candidate</h2>
          <p id="candidate-meta" class="meta"></p>
          <p id="candidate-error" class="message error"></p>
          <div class="document">
            <div>
              <p class="score"><span id="candidate-score">–</span><small> / 100</small></p>
              <h3 id="sub-scores-title">Sub-scores</h3>
              <dl id="candidate-sub-scores" class="subscores" aria-labelledby="sub-scores-title"></dl>
              <h3 id="missing-title">Missing required skills</h3>
              <ul id="candidate-missing" class="chips" aria-labelledby="missing-title"></ul>
              <p id="no-missing" class="hint">None.</p>
              <h3 id="reasons-title">Reasons</h3>
              <p class="hint">Each quote is highlighted in the resume; choose a reason to go to its quote.</p>
              <ol id="candidate-reasons" class="reasons" aria-labelledby="reasons-title"></ol>
            </div>
            <div>
              <h3 id="resume-title">Resume text</h3>
              <pre id="candidate-text" tabindex="0" aria-labelledby="resume-title"></pre>
            </div>
          </div>
        </section>

        <section id="batch" class="card" aria-labelledby="batch-title" hidden>
          <h2 id="batch-title">Batch</h2>
          <p id="batch-meta" class="meta"></p>
          <div class="progress">
            <progress id="batch-progress" max="1" value="0" aria-labelledby="batch-title"></progress>
            <span id="batch-percent">0%</span>
          </div>
          <p id="batch-state" role="status"></p>
          <dl id="batch-counts" class="counts"></dl>
          <div class="columns">
            <div>
              <h3 id="failures-title">Failures by code</h3>
              <table id="failures" aria-labelledby="failures-title">
                <thead><tr><th scope="col">Code</th><th scope="col" class="n">Documents</th></tr></thead>
                <tbody></tbody>
              </table>
              <p id="no-failures" class="hint">None.</p>
            </div>
            <div class="wide">
              <h3 id="items-title">Documents</h3>
              <div class="scroll">
              <table id="items" aria-labelledby="items-title">
                <thead><tr><th scope="col">File</th><th scope="col">Status</th><th scope="col">Error</th></tr></thead>
                <tbody></tbody>
              </table>
              </div>
              <div class="pager">
                <button id="items-previous" type="button" class="quiet" hidden>Previous page</button>
                <button id="items-next" type="button" class="quiet" hidden>Next page</button>
              </div>
            </div>
          </div>
        </section>

        <section id="document" class="card" aria-labelledby="document-title" hidden>
          <h2 id="document-title" tabindex="-1">Document</h2>
          <p id="document-meta" class="meta"></p>
          <p id="document-error" class="message error"></p>
          <div class="document">
            <div id="document-fields" class="fields"></div>
            <div>
              <h3 id="text-title">Extracted text</h3>
              <pre id="document-text" tabindex="0" aria-labelledby="text-title"></pre>
            </div>
          </div>
        </section>
        </div>
        </main>
        </body>
        </html>

        """#
    }
}
