#!/usr/bin/python3
"""The reading room as a person uses it, in a real browser (Debian's
chromium through chromium-driver and python3-selenium), JavaScript on:

    browser.py BASE_URL SHOTDIR

opens BASE_URL, types 井长制 into the search box and submits; the first hit
must be the 首创窨井 entry with <mark> highlights; follows it to the entry
page; goes back and clicks a facet of the side panel (the query gains a
section: or author: term and still finds the entry); downloads the CSV
and checks its header and the entry's row.  Saves screenshots of the
results page at a desktop width (SHOTDIR/serve-results.png) and at a
phone's (serve-results-phone.png), and of the entry page
(serve-entry.png).  Prints "browser: N passed, M failed"."""
import os
import shutil
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from tally import check, finish  # noqa: E402

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

base, shots = sys.argv[1].rstrip("/"), sys.argv[2]
downloads = tempfile.mkdtemp(prefix="fz-dl-")
opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
          "--window-size=1280,1000", "--lang=zh-CN", "--no-first-run", "--disable-extensions",
          "--disable-background-networking", "--disable-sync", "--disable-component-update"):
    opts.add_argument(a)
opts.add_experimental_option("prefs", {"download.default_directory": downloads,
                                       "download.prompt_for_download": False})
drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
drv.set_page_load_timeout(30)
try:
    drv.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    drv.get(base + "/")
    check("home page title", "方志" in drv.title)
    box = drv.find_element(By.NAME, "q")
    box.send_keys("井长制")
    box.send_keys(Keys.RETURN)
    time.sleep(0.3)
    check("the results page", "/search?" in drv.current_url)
    hits = drv.find_elements(By.CSS_SELECTOR, "ol.hits li.hit")
    check("hits are listed", len(hits) >= 2)
    first = hits[0] if hits else None
    link = first.find_element(By.CSS_SELECTOR, "h2 a") if first else None
    check("the first hit is 首创窨井", link is not None and "首创窨井" in link.text)
    marks = first.find_elements(By.TAG_NAME, "mark") if first else []
    check("the first hit has <mark> highlights", len(marks) >= 2 and all(m.text == "井长制" for m in marks))
    check("the count is shown", "共" in drv.find_element(By.CSS_SELECTOR, ".summary").text)
    drv.save_screenshot(os.path.join(shots, "serve-results.png"))
    results_url = drv.current_url
    drv.set_window_size(390, 844)
    drv.get(results_url)
    wide = drv.execute_script("return document.documentElement.scrollWidth")
    check("no sideways scrolling on a phone (%s px)" % wide, wide <= 390)
    drv.save_screenshot(os.path.join(shots, "serve-results-phone.png"))
    drv.set_window_size(1280, 1000)
    drv.get(results_url)
    drv.find_element(By.CSS_SELECTOR, "ol.hits li.hit h2 a").click()
    time.sleep(0.3)
    check("the entry page", "/entry/" in drv.current_url)
    h1 = drv.find_element(By.TAG_NAME, "h1").text
    check("the entry's title", "首创窨井" in h1)
    text = drv.find_element(By.CSS_SELECTOR, ".entry .text")
    check("the entry's text is whole", "2017年5月" in text.text and len(text.text) > 200)
    check("matches are marked in the entry",
          len(text.find_elements(By.TAG_NAME, "mark")) >= 2)
    check("links to the neighbours", len(drv.find_elements(By.CSS_SELECTOR, ".around a[rel=prev]")) == 1
          and len(drv.find_elements(By.CSS_SELECTOR, ".around a[rel=next]")) == 1)
    drv.save_screenshot(os.path.join(shots, "serve-entry.png"))
    drv.back()
    time.sleep(0.3)
    facet = drv.find_elements(By.CSS_SELECTOR, "aside.facets a.fb")
    check("the side panel has facet links", len(facet) >= 2)
    if facet:
        facet[-1].click()
        time.sleep(0.3)
        q = urllib.parse.parse_qs(urllib.parse.urlparse(drv.current_url).query).get("q", [""])[0]
        check("the facet narrows the query (%s)" % q, q.startswith("井长制 ") and ("author:" in q or "section:" in q))
        check("the narrowed query still finds 首创窨井",
              "首创窨井" in drv.find_element(By.CSS_SELECTOR, "ol.hits").text)
        check("the box shows the narrowed query", drv.find_element(By.NAME, "q").get_attribute("value") == q)
    drv.get(results_url)
    drv.find_element(By.PARTIAL_LINK_TEXT, "CSV").click()
    # Chromium creates the file under its final name, empty, as soon as the
    # download starts, writes a .crdownload beside it and renames that over
    # it when done: wait until no .crdownload is left and the file has bytes
    got = None
    for _ in range(200):
        names = os.listdir(downloads)
        csvs = [n for n in names if n.endswith(".csv")]
        if csvs and not any(n.endswith(".crdownload") for n in names) \
                and os.path.getsize(os.path.join(downloads, csvs[0])) > 0:
            got = os.path.join(downloads, csvs[0])
            break
        time.sleep(0.1)
    check("the CSV downloads", got is not None)
    if got:
        data = open(got, encoding="utf-8", newline="").read()
        check("the CSV has its header", data.startswith("id,file,line,section,title,authors,kind,score,matches,snippet,volume,place,year\r\n"))
        check("the CSV has the entry", "首创窨井“井长制”" in data)
finally:
    drv.quit()
    shutil.rmtree(downloads, ignore_errors=True)
finish("browser")
