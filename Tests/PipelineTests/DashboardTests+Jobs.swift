import Foundation
import Testing
import TestSupport

/// The dashboard's jobs: a job made through the page, uploads naming it, the ranked list filling in, and one
/// candidate's quotes highlighted in the resume. Runs inside ``DashboardTests/browser()`` (one engine, one
/// browser: starting them again would cost more than these steps).
extension DashboardTests {
    /// The steps; the tab is signed in as the tenant of `key`.
    func jobs(_ browser: WebDriver, _ serve: EngineProcess, key: String) async throws {
        typealias Jobs = JobScoringTests
        // A job through the form, its title markup that must stay text. Once made it is chosen for uploads and
        // its (empty) page opens.
        let title = "Senior Accountant <img src=x id=job-injected>"
        try await browser.type(title, into: try await browser.find("#job-title-input"))
        try await browser.type("Month-end close, reconciliations and forecasting for a growing company.",
                               into: try await browser.find("#job-description"))
        try await browser.type("Excel, Xero, Forecasting, Workday", into: try await browser.find("#job-skills"))
        try await browser.type("3", into: try await browser.find("#job-years"))
        try await browser.click(try await browser.find("#job-create"))
        try await browser.wait("the new job's page", seconds: 30, describe: {
            "\((try? await browser.text(of: "#jobs")) ?? "")\n\((try? await browser.text(of: "#job")) ?? "")"
        }) {
            let shown = try await browser.text(of: "#job-title")
            let state = try await browser.text(of: "#candidates-state")
            return shown == title && state.hasPrefix("No candidates")
        }
        let listed = try Jobs.send(serve, "GET", "/api/v1/jobs", token: key).json["jobs"] as? [[String: Any]] ?? []
        let job = try #require(listed.first?["id"] as? String, "\(listed)")
        #expect(listed.first?["required_skills"] as? [String] == ["Excel", "Xero", "Forecasting", "Workday"])
        #expect(listed.first?["min_years"] as? Double == 3)
        let chosen = try await browser.execute("""
            const select = document.getElementById('upload-job');
            return [select.value, select.selectedOptions[0].textContent]
            """) as? [String]
        #expect(chosen == [job, title], "the new job is chosen for uploads: \(chosen ?? [])")
        #expect(try await browser.text(of: "#job-list").contains(title))
        #expect(try await browser.execute("return document.getElementById('job-injected') === null") as? Bool == true,
                "a job title is never markup")

        // Four resumes uploaded naming the job: the ranked list fills in, best first.
        let files = ["0025-valentina-fernandez-hernandez-lopez.txt", "0048-noemie-dubois.html",
                     "0054-lauren-foster.html", "0055-ase-ostergaard.txt"].map { "\(Self.sample)/\($0)" }
        try await browser.type(files.joined(separator: "\n"), into: try await browser.find("#files"))
        try await browser.click(try await browser.find("#upload-button"))
        let rowsScript = """
            return [...document.querySelectorAll('#candidates tbody tr')].map((tr) => [tr.dataset.id, tr.dataset.score])
            """
        try await browser.wait("four candidates scored", seconds: 240, describe: {
            "\((try? await browser.text(of: "#job")) ?? "")\n\(serve.log.suffix(2000))"
        }) {
            let rows = try await browser.execute(rowsScript) as? [[String]] ?? []
            let state = try await browser.text(of: "#candidates-state")
            return state.hasPrefix("Done: 4 scored") && rows.count == 4 && rows.allSatisfy { !$0[1].isEmpty }
        }
        let rows = try await browser.execute(rowsScript) as? [[String]] ?? []
        let scores = rows.map { Int($0[1]) ?? -1 }
        #expect(scores == scores.sorted(by: >), "best first: \(scores)")
        #expect(Set(scores).count > 1, "the job tells these resumes apart: \(scores)")
        let ranked = try Jobs.send(serve, "GET", "/api/v1/jobs/\(job)/candidates", token: key)
            .json["candidates"] as? [[String: Any]] ?? []
        #expect(rows.map { $0[0] } == ranked.compactMap { $0["document_id"] as? String }, "the API's order")
        #expect(scores == ranked.map { $0["score"] as? Int ?? -2 })
        let ranks = try await browser.execute(
            "return [...document.querySelectorAll('#candidates tbody tr td:first-child')].map((td) => td.textContent)")
        #expect(ranks as? [String] == ["1", "2", "3", "4"])
        #expect(try await browser.execute("return document.querySelector('#job-list small').textContent") as? String
                == "4 candidates · 4 scored")
        #expect(try await browser.text(of: "#job-meta")
                == "requires Excel, Xero, Forecasting, Workday · 3+ years · revision 1")
        let table = try await browser.text(of: "#candidates")
        #expect(table.contains("0055-ase-ostergaard.txt") && table.contains("scored"), "\(table)")
        #expect(!table.contains("null") && !table.contains("undefined"), "\(table)")

        // The minimum score filters the list; cleared, all four are back.
        let minimum = try await browser.find("#min-score")
        try await browser.type(String(scores[1]), into: minimum)
        try await browser.click(try await browser.find("#candidates-filter button[type=submit]"))
        let above = scores.filter { $0 >= scores[1] }.count
        try await browser.wait("the list filtered by score", seconds: 30) {
            (try await browser.execute(rowsScript) as? [[String]])?.count == above
        }
        try await browser.clear(minimum)
        try await browser.click(try await browser.find("#candidates-filter button[type=submit]"))
        try await browser.wait("the list unfiltered", seconds: 30) {
            (try await browser.execute(rowsScript) as? [[String]])?.count == 4
        }

        // The best candidate: each reason's marks hold its quote, as the API gives it; a reason chosen scrolls its
        // quote into view.
        let best = rows[0][0]
        try await browser.click(try await browser.find("#candidates tbody tr:first-child button"))
        let one = try Jobs.send(serve, "GET", "/api/v1/jobs/\(job)/candidates/\(best)", token: key).json
        let reasons = one["reasons"] as? [[String: Any]] ?? []
        #expect(reasons.count >= 2, "\(one)")
        try await browser.wait("the candidate's reasons", seconds: 30, describe: {
            (try? await browser.text(of: "#candidate")) ?? ""
        }) {
            try await browser.execute("""
                return document.activeElement === document.getElementById('candidate-title')
                    && document.querySelectorAll('#candidate-reasons li[data-reason]').length === arguments[0]
                """, [reasons.count]) as? Bool == true
        }
        let marksScript = """
            const marks = [...document.querySelectorAll('#candidate-text mark')];
            return [...document.querySelectorAll('#candidate-reasons li[data-reason]')].map((li) => marks
                .filter((mark) => mark.dataset.reasons.split(' ').includes(li.dataset.reason))
                .map((mark) => mark.textContent).join(''))
            """
        let quoted = try await browser.execute(marksScript) as? [String]
        #expect(quoted == reasons.map { $0["quote"] as? String ?? "?" }, "\(quoted ?? [])")
        #expect(try await browser.execute("return document.getElementById('candidate-text').textContent") as? String
                == one["text"] as? String)
        #expect(try await browser.text(of: "#candidate-score") == String(scores[0]))
        #expect(try await browser.text(of: "#candidate-sub-scores").contains("Required skills"))
        let shown = try await browser.text(of: "#candidate")
        #expect(!shown.contains("null") && !shown.contains("undefined"), "\(shown.prefix(2000))")
        try await browser.click(try await browser.find("#candidate-reasons li[data-reason]:last-child button"))
        try await browser.wait("the last reason's quote in view", seconds: 10) {
            try await browser.execute("""
                const mark = document.querySelector('#candidate-text mark.current');
                if (!mark || !mark.dataset.reasons.split(' ').includes(String(arguments[0]))) return false;
                const box = document.getElementById('candidate-text').getBoundingClientRect();
                const at = mark.getBoundingClientRect();
                return at.top >= box.top - 1 && at.bottom <= box.bottom + 1 && at.top >= 0
                    && at.bottom <= window.innerHeight
                """, [reasons.count - 1]) as? Bool == true
        }
        _ = try await browser.execute("document.getElementById('job').scrollIntoView()")
        try Self.save(try await browser.screenshot(), as: "dashboard-job.png")

        // Offsets the page cannot trust: the same candidate answered with the text behind an astral character
        // (offsets count code points, not UTF-16 units), a quote overlapping another, and offsets out of range,
        // backwards, not numbers or not holding their quote. Those get no mark; the others keep their quotes.
        _ = try await browser.execute("""
            window.realFetch = window.fetch;
            window.fetch = async (url, init) => {
              const response = await window.realFetch(url, init);
              if (!/\\/candidates\\/[^/?]+$/.test(String(url))) return response;
              const c = await response.json();
              const prefix = '\\u{1F600}é ';
              const shift = Array.from(prefix).length;
              c.text = prefix + c.text;
              const chars = Array.from(c.text);
              c.reasons = c.reasons.map((r) => ({ ...r, start: r.start + shift, end: r.end + shift }));
              const first = c.reasons[0];
              c.reasons.push(
                { criterion: 'title', text: 'overlapping', start: first.start + 1, end: first.end + 2,
                  quote: chars.slice(first.start + 1, first.end + 2).join('') },
                { criterion: 'title', text: 'the emoji', start: 0, end: 1, quote: '\\u{1F600}' },
                { criterion: 'title', text: 'past the end', start: chars.length - 1, end: chars.length + 5,
                  quote: 'x' },
                { criterion: 'title', text: 'backwards', start: 9, end: 4, quote: '' },
                { criterion: 'title', text: 'not numbers', start: '1', end: null, quote: 'é' },
                { criterion: 'title', text: 'wrong quote', start: 0, end: 2, quote: '<b>not this</b>' },
                { criterion: '<img src=x id=reason-injected>', text: '<img src=x id=reason-injected>', start: 1,
                  end: 2, quote: 'é' });
              window.doctored = c;
              return new Response(JSON.stringify(c), { status: 200, headers: { 'Content-Type': 'application/json' } });
            };
            """)
        try await browser.click(try await browser.find("#candidates tbody tr:first-child button"))
        try await browser.wait("the doctored candidate", seconds: 30, describe: {
            (try? await browser.text(of: "#candidate")) ?? ""
        }) {
            try await browser.execute("""
                return document.querySelectorAll('#candidate-reasons li[data-reason]').length
                    === (window.doctored ? window.doctored.reasons.length : -1)
                """) as? Bool == true
        }
        let doctored = try await browser.execute("""
            window.fetch = window.realFetch;
            return [window.doctored.text, window.doctored.reasons.map((r) => r.quote)]
            """) as? [Any]
        let text = try #require(doctored?.first as? String)
        let quotes = try #require(doctored?.last as? [String])
        let untrusted = Set((quotes.count - 5)...(quotes.count - 2))
        let expected = quotes.enumerated().map { untrusted.contains($0.offset) ? "" : $0.element }
        #expect(try await browser.execute(marksScript) as? [String] == expected)
        #expect(try await browser.execute("return document.getElementById('candidate-text').textContent") as? String
                == text)
        let notFound = try await browser.execute("""
            return [...document.querySelectorAll('#candidate-reasons li[data-reason]')]
                .filter((li) => li.textContent.includes('not found in the text')).map((li) => Number(li.dataset.reason))
            """) as? [Int]
        #expect(notFound.map(Set.init) == untrusted, "\(notFound ?? [])")
        #expect(try await browser.execute(
            "return document.getElementById('reason-injected') === null") as? Bool == true)
        #expect(try await browser.text(of: "#candidate-reasons").contains("<img src=x id=reason-injected>"))

        // Every parsed document of the tenant scored for the job: the earlier batches' too.
        try await browser.click(try await browser.find("#job-score"))
        try await browser.wait("the scoring request's answer", seconds: 30,
                               describe: { (try? await browser.text(of: "#job-message")) ?? "" }) {
            try await browser.text(of: "#job-message").hasPrefix("Scoring ")
        }
        let asked = try await browser.text(of: "#job-message")
        let requested = try #require(asked.firstMatch(of: /Scoring (\d+) parsed documents/).flatMap { Int($0.1) },
                                     "\(asked)")
        #expect(requested > 4, "\(asked)")
        try await browser.wait("every parsed document scored", seconds: 120, describe: {
            (try? await browser.text(of: "#candidates-state")) ?? ""
        }) {
            let rows = try await browser.execute(rowsScript) as? [[String]] ?? []
            let state = try await browser.text(of: "#candidates-state")
            return state.hasPrefix("Done: \(requested) scored") && rows.count == requested
        }
        let all = (try await browser.execute(rowsScript) as? [[String]] ?? []).map { Int($0[1]) ?? -1 }
        #expect(all == all.sorted(by: >), "\(all)")

        // A narrow screen: the job and the candidate in one column too.
        try await browser.resize(width: 390, height: 1500)
        try await browser.wait("the narrow layout", seconds: 10) {
            try await browser.execute("return window.innerWidth") as? Int ?? 0 <= 400
        }
        // (A table may scroll inside its own box.)
        let wide = try await browser.execute("""
            return [...document.querySelectorAll('body *')]
                .filter((node) => !node.parentElement.closest('.scroll')
                    && node.getBoundingClientRect().right > window.innerWidth + 0.5)
                .map((node) => node.tagName + (node.id ? '#' + node.id : '') + ' ' + node.getBoundingClientRect().right)
            """) as? [String]
        #expect(wide == [], "nothing wider than the window")
        #expect(try await browser.execute(
            "return document.documentElement.scrollWidth <= window.innerWidth") as? Bool == true)
        try await browser.resize(width: 1280, height: 1500)

        // Deleting the job: asked once more, kept, then deleted with its candidates.
        let confirmHidden = "return document.getElementById('job-delete-confirm').hidden"
        try await browser.click(try await browser.find("#job-delete"))
        #expect(try await browser.execute(confirmHidden) as? Bool == false, "asked once more")
        try await browser.click(try await browser.find("#job-delete-keep"))
        #expect(try await browser.execute(confirmHidden) as? Bool == true)
        #expect(try Jobs.send(serve, "GET", "/api/v1/jobs/\(job)", token: key).status == 200, "kept")
        try await browser.click(try await browser.find("#job-delete"))
        try await browser.click(try await browser.find("#job-delete-confirm"))
        try await browser.wait("the job deleted", seconds: 30, describe: {
            (try? await browser.text(of: "#jobs-message")) ?? ""
        }) {
            try await browser.text(of: "#jobs-message").hasPrefix("Deleted ")
        }
        #expect(try await browser.text(of: "#jobs-message") == "Deleted \(title) and its candidates.")
        #expect(try await browser.execute("return document.getElementById('job').hidden") as? Bool == true)
        #expect(try await browser.text(of: "#job-list").contains(title) == false)
        #expect(try await browser.execute("return document.getElementById('job-injected') === null") as? Bool == true)
        #expect(try Jobs.send(serve, "GET", "/api/v1/jobs/\(job)", token: key).status == 404)
    }
}
