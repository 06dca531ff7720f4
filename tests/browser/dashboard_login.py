"""Drive the dashboard in headless Chromium (Playwright, Debian's chromium) as
three people would: a wrong token, a reader of two gemeenten, a council member.
Prints one JSON object with what each saw; the Rust test asserts on it.

usage: dashboard_login.py CHROMIUM BASE_URL READER_TOKEN COUNCIL_TOKEN
"""
import json
import sys

from playwright.sync_api import sync_playwright

chromium, base, reader, council = sys.argv[1:5]
seen = {}
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])

    page = browser.new_page()
    page.goto(base + "/")
    page.wait_for_selector("#login:not([hidden])", timeout=15000)
    seen["asked_for_token"] = True
    page.fill("#login-token", "cf_" + "A" * 43)
    page.click("#login-form button")
    page.wait_for_function("document.querySelector('#login-error').textContent.length > 0", timeout=15000)
    seen["wrong_token_message"] = page.inner_text("#login-error")

    page.fill("#login-token", reader)
    page.click("#login-form button")
    page.wait_for_selector("#login", state="hidden", timeout=15000)
    page.wait_for_selector("#tp-table table tbody tr", timeout=30000)
    seen["reader"] = {
        "who": page.inner_text("#who-name"),
        "roles": page.inner_text("#who-roles"),
        "gemeente_options": page.eval_on_selector_all("#gemeente option", "os => os.map(o => o.value)"),
        "visible_tabs": page.eval_on_selector_all("#tabs a[data-tab]:not([hidden])", "as => as.map(a => a.dataset.tab)"),
        "error_banner": page.eval_on_selector("#error", "e => e.hidden ? '' : e.textContent"),
        "throughput_rows": page.eval_on_selector_all("#tp-table table tbody tr", "rs => rs.length"),
    }
    # The open cases tab lists the chosen gemeente's cases only.
    page.click("#tabs a[data-tab=open]")
    page.wait_for_selector("#oc-table table tbody tr", timeout=30000)
    seen["reader"]["open_case_gemeenten"] = sorted(set(page.eval_on_selector_all(
        "#oc-table table tbody tr td:nth-child(2)", "tds => tds.map(t => t.textContent)")))
    page.click("#logout")
    page.wait_for_selector("#login:not([hidden])", timeout=15000)
    seen["after_logout_asks_again"] = True

    page = browser.new_context().new_page()
    page.goto(base + "/")
    page.wait_for_selector("#login:not([hidden])", timeout=15000)
    page.fill("#login-token", council)
    page.click("#login-form button")
    page.wait_for_selector("#council-monitor", timeout=15000)
    seen["council"] = {
        "text": page.inner_text("main"),
        "visible_tabs": page.eval_on_selector_all("#tabs a[data-tab]:not([hidden])", "as => as.map(a => a.dataset.tab)"),
    }
    with page.expect_popup(timeout=30000) as popup:
        page.click("#council-monitor")
    report = popup.value
    report.wait_for_load_state(timeout=30000)
    report.wait_for_function("document.body && document.body.innerText.length > 100", timeout=30000)
    seen["council"]["monitor_text"] = report.inner_text("body")[:20000]
    browser.close()

print(json.dumps(seen))
