"""Save a document as a password-protected DOCX with LibreOffice (needs Debian's python3-uno).

    /usr/bin/python3 lo_encrypt.py SRC DST PASSWORD PROFILE_DIR

soffice --convert-to cannot set a password, so this starts a private headless soffice, loads SRC over UNO and
stores it with EncryptionData {OOXPassword, CryptoType=Standard} (LibreOffice 7.4 fails with its default Agile
engine on export). The result is an OLE2/CFB container ("CDFV2 Encrypted"), as Word's own is.
"""

import os
import subprocess
import sys
import time

import uno
from com.sun.star.beans import NamedValue, PropertyValue


def prop(name, value, cls=PropertyValue):
    p = cls()
    p.Name, p.Value = name, value
    return p


def main():
    src, dst, password, profile = sys.argv[1:5]
    pipe = f"benchdata{os.getpid()}"
    office = subprocess.Popen(["soffice", f"-env:UserInstallation=file://{os.path.abspath(profile)}", "--headless",
                               "--norestore", "--nolockcheck", f"--accept=pipe,name={pipe};urp;"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        ctx = None
        for _ in range(300):
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                if office.poll() is not None:
                    raise SystemExit("soffice exited before accepting connections")
                time.sleep(0.1)
        if ctx is None:
            raise SystemExit("could not connect to soffice")
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(src)), "_blank", 0,
                                           (prop("Hidden", True),))
        enc = uno.Any("[]com.sun.star.beans.NamedValue",
                      (prop("OOXPassword", password, NamedValue), prop("CryptoType", "Standard", NamedValue)))
        uno.invoke(doc, "storeToURL", (uno.systemPathToFileUrl(os.path.abspath(dst)),
                                       (prop("FilterName", "MS Word 2007 XML"), prop("EncryptionData", enc))))
        doc.close(True)
        try:
            desktop.terminate()
        except Exception:
            pass  # the bridge drops as soffice exits
        office.wait(timeout=30)
    finally:
        if office.poll() is None:
            office.kill()
            office.wait()


if __name__ == "__main__":
    main()
