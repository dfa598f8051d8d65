/// The office bridge: a Python 3 script (standard library plus `uno`) that keeps one LibreOffice warm and converts
/// Word 97, DOCX, ODT and RTF documents to UTF-8 plain text on request. The engine writes ``source`` to a private
/// directory at start-up and runs one bridge per warm instance, each with its own LibreOffice profile directory:
///
///     /usr/bin/python3 -I -u bridge.py --soffice /usr/bin/soffice --profile /abs/profile/dir --pipe NAME
///
/// in a process group of its own. The bridge starts `soffice --headless … --accept=pipe,name=NAME;urp;…` as a child
/// in that same group (killing the group recycles both), connects over the named pipe with retries for up to 30 s,
/// and then speaks one JSON object per line, one request at a time; stdout carries nothing else:
///
///     -> {"ready": true, "startup_ms": 920}                       or {"ready": false, "error": "…"}, exit 4
///     <- {"in": "/abs/in.doc", "out": "/abs/out.txt"}
///     -> {"ok": true, "pages": 2, "ms": 31, "filter": "MS Word 97"}    pages may be null
///     -> {"ok": false, "code": "encrypted", "error": "…"}
///
/// Failure codes: `encrypted` (a password was asked for and declined: never a prompt or a hang), `corrupt` (the import
/// filter failed, or LibreOffice offered to repair the file), `unsupported_type` (LibreOffice found no document format
/// and would import the bytes as plain text), `bad_request` (not a JSON request, a relative path, no such input file),
/// `crashed` (soffice died: the bridge then exits 3 and the engine starts a new one). On EOF of stdin the bridge calls
/// `desktop.terminate()`, SIGKILLs soffice if it lingers for 10 s, and exits 0. Diagnostics (each interaction
/// LibreOffice asked for, soffice's own output) go to stderr.
///
/// Why Python: UNO, LibreOffice's component API, is scriptable on Debian only from Python (`python3-uno`), Java or
/// C++; Python needs no JVM and no build step, and `uno` is installed for Debian's `/usr/bin/python3` only. Why not
/// unoserver (PyPI only, not in Debian 12): its client, `unoconvert`, is a new Python process per conversion that
/// sends the document over XML-RPC to the server process in front of soffice; here the engine talks to one
/// long-lived process per instance over a pipe, and learns why a document failed.
///
/// Tested by hand (LibreOffice 7.4, Debian 12) and measured by `Benchmarks/office/run.sh`, which runs this very
/// text: keep the Python between the delimiters byte for byte (4-space indent) as it was tested.
enum OfficeBridgeScript {
    static let source = #"""
    """resume-ingest office bridge: one warm LibreOffice that converts documents to UTF-8 plain text on request.

    Usage: /usr/bin/python3 -I -u bridge.py --soffice /usr/bin/soffice --profile /abs/profile/dir --pipe NAME

    stdout carries protocol lines only, one JSON object each; diagnostics and soffice's own output go to stderr.
      -> {"ready": true, "startup_ms": N}          once soffice answers (else {"ready": false, "error": ...}, exit 4)
      <- {"in": "/abs/in.doc", "out": "/abs/out.txt"}
      -> {"ok": true, "pages": N|null, "ms": N, "filter": "MS Word 97"}
      -> {"ok": false, "code": "encrypted"|"corrupt"|"unsupported_type"|"bad_request"|"crashed", "error": "..."}
    One request at a time. EOF on stdin: soffice is terminated, exit 0. After "crashed" the bridge exits 3.
    soffice stays in the bridge's process group: killing the group kills both.
    """

    import argparse
    import json
    import os
    import signal
    import subprocess
    import sys
    import time

    import uno
    import unohelper
    from com.sun.star.beans import PropertyValue
    from com.sun.star.connection import NoConnectException
    from com.sun.star.lang import IllegalArgumentException
    from com.sun.star.task import XInteractionHandler

    CONNECT_TIMEOUT_S = 30.0
    TERMINATE_TIMEOUT_S = 10.0
    EXIT_CRASHED = 3
    EXIT_STARTUP = 4

    # MacroExecMode.NEVER_EXECUTE, UpdateDocMode.NO_UPDATE: a resume never runs macros or fetches linked content.
    NEVER_EXECUTE = 0
    NO_UPDATE = 0
    # "Text (encoded)" options: charset,line end,font,language,BOM. Without "false" last, UTF8 output starts with a BOM.
    TEXT_FILTER = "Text (encoded)"
    TEXT_FILTER_OPTIONS = "UTF8,LF,,,false"
    # LibreOffice imports any bytes it cannot identify as plain text. The engine never sends text files here, so a
    # document that only these filters would take is refused instead of being turned into garbage text.
    PLAIN_TEXT_FILTERS = ("Text", "Text (encoded)")

    MESSAGES = {
        "encrypted": "the document is password-protected (the password prompt was declined)",
        "corrupt": "LibreOffice could not load the document",
        "plain_text": "LibreOffice recognised no document format (it would import the bytes as plain text)",
    }


    class Failure(Exception):
        """A request that ends in {"ok": false}; `code` is the engine's stable failure code."""

        def __init__(self, code, message):
            super().__init__(message)
            self.code = code


    def log(message):
        print(f"officebridge: {message}", file=sys.stderr, flush=True)


    def reply(obj):
        sys.stdout.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
        sys.stdout.flush()


    def props(**values):
        out = []
        for name, value in values.items():
            prop = PropertyValue()
            prop.Name = name
            prop.Value = value
            out.append(prop)
        return tuple(out)


    def describe(exc):
        return f"{getattr(exc, 'typeName', None) or type(exc).__name__}: {getattr(exc, 'Message', None) or exc}"


    class InteractionHandler(unohelper.Base, XInteractionHandler):
        """Answers every question LibreOffice would ask a user, always negatively, and remembers password prompts.

        No Password goes in the load arguments: with Password="" the Word 97 filter reports the wrong password as a
        bare ErrorCodeRequest, while without one every format (ODF, Word 97, encrypted OOXML) asks this handler for a
        password, which is declined, so the load fails at once and the failure is known to be "encrypted".
        The request itself cannot be read: with Python 3.11, pyuno fails to convert an exception passed as a value
        (getRequest() raises SystemError from uno._uno_struct__setattr__). The continuations tell enough: a password
        prompt offers XInteractionPassword(2); the offer to repair a damaged package (Approve/Disapprove) is
        declined."""

        def __init__(self):
            self.password_asked = False

        def handle(self, request):
            by_kind = {}
            for continuation in request.getContinuations():
                for uno_type in continuation.getTypes():
                    kind = uno_type.typeName.rsplit(".", 1)[-1]
                    if kind.startswith("XInteraction"):
                        by_kind.setdefault(kind, continuation)
            log(f"interaction: {' '.join(sorted(by_kind))}")
            if "XInteractionPassword" in by_kind or "XInteractionPassword2" in by_kind:
                self.password_asked = True
            for kind in ("XInteractionAbort", "XInteractionDisapprove", "XInteractionApprove"):
                if kind in by_kind:
                    by_kind[kind].select()
                    return


    class Office:
        """One soffice process, its UNO connection, and the conversions run through it."""

        def __init__(self, soffice, profile, pipe):
            self.soffice = soffice
            self.profile = profile
            self.pipe = pipe
            self.proc = None
            self.desktop = None

        def start(self):
            args = [
                self.soffice,
                "--headless",
                "--invisible",
                "--nologo",
                "--norestore",
                "--nodefault",
                "--nolockcheck",
                "--nofirststartwizard",
                f"-env:UserInstallation={uno.systemPathToFileUrl(self.profile)}",
                f"--accept=pipe,name={self.pipe};urp;StarOffice.ComponentContext",
            ]
            # No new session: the engine recycles an instance by killing the bridge's process group, soffice included.
            # soffice's stdout goes to our stderr, as our stdout is the protocol channel.
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=sys.stderr, stderr=sys.stderr)
            local = uno.getComponentContext()
            resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
            url = f"uno:pipe,name={self.pipe};urp;StarOffice.ComponentContext"
            deadline = time.monotonic() + CONNECT_TIMEOUT_S
            delay = 0.05
            while True:
                try:
                    ctx = resolver.resolve(url)
                    break
                except NoConnectException:
                    if self.proc.poll() is not None:
                        raise Failure("crashed", f"soffice exited with status {self.proc.returncode} before accepting")
                    if time.monotonic() >= deadline:
                        waited = f"{CONNECT_TIMEOUT_S:.0f} s"
                        raise Failure("crashed", f"soffice did not accept on pipe {self.pipe} within {waited}")
                    time.sleep(delay)
                    delay = min(delay * 1.5, 0.25)
            self.desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)

        def alive(self):
            if self.proc is None or self.proc.poll() is not None or self.desktop is None:
                return False
            try:
                self.desktop.getFrames()  # one round trip over the bridge
                return True
            except Exception:
                return False

        def convert(self, src, dst):
            """Writes dst as UTF-8 text; returns (page count or None, import filter name). Raises Failure."""
            handler = InteractionHandler()
            load_args = props(
                Hidden=True,
                ReadOnly=True,
                MacroExecutionMode=NEVER_EXECUTE,
                UpdateDocMode=NO_UPDATE,
                InteractionHandler=handler,
            )
            try:
                doc = self.desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, load_args)
            except Exception as exc:
                raise self._failure(exc, handler, "load") from exc
            if doc is None:  # the filter failed, or a question was declined
                code = "encrypted" if handler.password_asked else "corrupt"
                raise Failure(code, MESSAGES[code])
            try:
                filter_name = self._import_filter(doc)
                if filter_name in PLAIN_TEXT_FILTERS:
                    raise Failure("unsupported_type", MESSAGES["plain_text"])
                if not hasattr(doc, "getText"):
                    raise Failure("unsupported_type", f"not a text document (import filter {filter_name or 'unknown'})")
                # The text export lays the document out anyway: asking for the page count first costs nothing extra.
                pages = self._page_count(doc)
                try:
                    doc.storeToURL(
                        uno.systemPathToFileUrl(dst),
                        props(FilterName=TEXT_FILTER, FilterOptions=TEXT_FILTER_OPTIONS, Overwrite=True),
                    )
                except Exception as exc:
                    raise self._failure(exc, handler, "store") from exc
                return pages, filter_name
            finally:
                self._close(doc)

        def _failure(self, exc, handler, step):
            if not self.alive():
                return Failure("crashed", f"soffice died during {step}: {describe(exc)}")
            if handler.password_asked:  # encrypted OOXML is refused during type detection, as an exception
                return Failure("encrypted", MESSAGES["encrypted"])
            if step == "load" and isinstance(exc, IllegalArgumentException):
                return Failure("unsupported_type", f"load: {describe(exc)}")  # type detection found no filter
            return Failure("corrupt", f"{step}: {describe(exc)}")

        @staticmethod
        def _import_filter(doc):
            try:
                for arg in doc.getArgs():
                    if arg.Name == "FilterName":
                        return arg.Value
            except Exception:
                pass
            return None

        @staticmethod
        def _page_count(doc):
            try:
                return int(doc.getCurrentController().getPropertyValue("PageCount"))
            except Exception:
                pass
            try:  # as saved in the file: may be stale or missing
                for stat in doc.getDocumentProperties().DocumentStatistics:
                    if stat.Name == "PageCount":
                        return int(stat.Value)
            except Exception:
                pass
            return None

        @staticmethod
        def _close(doc):
            try:
                doc.close(True)
            except Exception:
                try:
                    doc.dispose()
                except Exception:
                    pass

        def stop(self):
            """desktop.terminate(), then SIGKILL whatever is left after TERMINATE_TIMEOUT_S."""
            if self.desktop is not None:
                try:
                    self.desktop.terminate()
                except Exception:
                    pass  # the connection drops while soffice exits
            if self.proc is not None:
                try:
                    self.proc.wait(timeout=TERMINATE_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    log("soffice still running after terminate(); killing it")
            self.kill()

        def kill(self):
            """SIGKILLs soffice and its descendants (oosplash forks soffice.bin) and reaps it."""
            if self.proc is None:
                return
            for pid in [self.proc.pid] + descendants(self.proc.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


    def descendants(root):
        children = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            ppid = int(stat[stat.rfind(b")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        found, todo = [], [root]
        while todo:
            for child in children.get(todo.pop(), []):
                found.append(child)
                todo.append(child)
        return found


    def parse_request(line):
        try:
            request = json.loads(line)
            src, dst = request["in"], request["out"]
        except (ValueError, KeyError, TypeError) as exc:
            raise Failure("bad_request", f'expected {{"in": path, "out": path}}: {exc}') from exc
        if not (isinstance(src, str) and isinstance(dst, str) and os.path.isabs(src) and os.path.isabs(dst)):
            raise Failure("bad_request", "in and out must be absolute paths")
        if not os.path.isfile(src):
            raise Failure("bad_request", f"no such file: {src}")
        return src, dst


    def serve(office):
        """Answers requests until EOF (returns 0) or until soffice is found dead (returns EXIT_CRASHED)."""
        for raw in sys.stdin.buffer:
            line = raw.decode("utf-8", "replace").strip()
            if not line:
                continue
            began = time.monotonic()
            try:
                src, dst = parse_request(line)
                pages, filter_name = office.convert(src, dst)
                elapsed_ms = round((time.monotonic() - began) * 1000)
                reply({"ok": True, "pages": pages, "ms": elapsed_ms, "filter": filter_name})
            except Failure as failure:
                reply({"ok": False, "code": failure.code, "error": str(failure)})
                if failure.code == "crashed":
                    return EXIT_CRASHED
            except Exception as exc:
                crashed = not office.alive()
                reply({"ok": False, "code": "crashed" if crashed else "corrupt", "error": describe(exc)})
                if crashed:
                    return EXIT_CRASHED
        return 0


    def main():
        parser = argparse.ArgumentParser()
        parser.add_argument("--soffice", required=True)
        parser.add_argument("--profile", required=True)
        parser.add_argument("--pipe", required=True)
        opts = parser.parse_args()
        if not os.path.isabs(opts.profile):
            parser.error("--profile must be an absolute path")

        # A SIGTERM sent to the bridge alone still takes soffice down, through the finally below.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
        office = Office(opts.soffice, opts.profile, opts.pipe)
        stopped = False
        try:
            began = time.monotonic()
            try:
                office.start()
            except Exception as exc:
                reply({"ready": False, "error": str(exc)})
                return EXIT_STARTUP
            reply({"ready": True, "startup_ms": round((time.monotonic() - began) * 1000)})
            status = serve(office)
            if status == 0:
                office.stop()
                stopped = True
            return status
        finally:
            if not stopped:
                office.kill()


    if __name__ == "__main__":
        sys.exit(main())
    """#
}
