"""The review page in a real browser (Debian's headless Chromium through
Selenium): log in, label two items by click and one by key, undo one, then
check the store. Screenshots go to $AOI_TEST_ARTEFACTS (default: a folder
beside the test's temporary files)."""
import os
import pathlib
import sqlite3

import pytest

from conftest import KEY, image

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def browser():
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"]:
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def artefacts(tmp_path):
    d = pathlib.Path(os.environ.get("AOI_TEST_ARTEFACTS", tmp_path / "artefacts"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def test_label_by_click_and_key_then_undo(start, fixture, tmp_path, browser):
    s = start(model=fixture / "model_review.json")
    ids = []
    for n in range(5):
        body = image(fixture, "board.jpg") + b"%d" % n  # distinct images
        roi = "&roi=30,20,64,48" if n == 0 else ""
        status, r = s.json("POST", "/v1/inspect?item=panel-%d%s" % (n, roi), body, key=KEY)
        assert status == 200 and r["verdict"] == "review"
        ids.append(r["id"])
    shots = artefacts(tmp_path)
    wait = WebDriverWait(browser, 20)

    def card_id():
        card = browser.find_element(By.ID, "card")
        return int(card.get_attribute("data-id")) if card.is_displayed() else None

    def remaining():
        return int(browser.find_element(By.ID, "remaining").get_attribute("data-count") or -1)

    browser.get("http://127.0.0.1:%d/review" % s.port)
    # A wrong key is refused and the login form comes back.
    browser.find_element(By.ID, "name").send_keys("alice")
    browser.find_element(By.ID, "key").send_keys("not-the-key-0123456789")
    browser.find_element(By.CSS_SELECTOR, "#login button").click()
    wait.until(lambda b: "refused" in b.find_element(By.ID, "login-error").text)
    browser.find_element(By.ID, "key").clear()
    browser.find_element(By.ID, "key").send_keys(KEY)
    browser.find_element(By.CSS_SELECTOR, "#login button").click()
    wait.until(lambda b: card_id() == ids[0] and remaining() == 5)
    assert not browser.find_element(By.ID, "login").is_displayed()
    # The ROI is drawn on the full-resolution image.
    assert browser.execute_script("return document.getElementById('image').width") == 160
    browser.save_screenshot(str(shots / "review-1-first-card.png"))

    browser.find_element(By.ID, "pass").click()
    wait.until(lambda b: card_id() == ids[1] and remaining() == 4)
    browser.find_element(By.ID, "fail").click()
    wait.until(lambda b: card_id() == ids[2] and remaining() == 3)
    browser.find_element(By.TAG_NAME, "body").send_keys("f")
    wait.until(lambda b: card_id() == ids[3] and remaining() == 2)
    browser.save_screenshot(str(shots / "review-2-after-three.png"))
    browser.find_element(By.ID, "undo").click()
    wait.until(lambda b: card_id() == ids[2] and remaining() == 3)
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
    wait.until(lambda b: card_id() == ids[3])
    browser.save_screenshot(str(shots / "review-3-after-undo.png"))

    db = sqlite3.connect(str(tmp_path / "store" / "results.sqlite"))
    labels = dict(db.execute("SELECT id, label FROM inspections").fetchall())
    assert labels == {ids[0]: "pass", ids[1]: "fail", ids[2]: None, ids[3]: None, ids[4]: None}
    assert db.execute("SELECT labelled_by FROM inspections WHERE id = ?", (ids[0],)).fetchone()[0] == "alice"
    history = db.execute("SELECT label, labelled_by FROM labels WHERE inspection_id = ? ORDER BY id",
                         (ids[2],)).fetchall()
    assert history == [("fail", "alice"), (None, "alice")]
    audit = db.execute("SELECT who, action, subject, before, after FROM audit WHERE action = 'label' ORDER BY id")\
        .fetchall()
    assert audit == [("alice", "label", str(ids[0]), None, "pass"), ("alice", "label", str(ids[1]), None, "fail"),
                     ("alice", "label", str(ids[2]), None, "fail"), ("alice", "label", str(ids[2]), "fail", None)]
    db.close()
    import subprocess
    log = subprocess.run([os.environ["AOI_BIN"], "audit", "--store", str(tmp_path / "store")], capture_output=True,
                         text=True, timeout=60).stdout.splitlines()
    assert log[0].split("\t")[1:4] == ["start", "reload", r["model_version"]]  # the model loaded at start
    assert len(log) == 5 and log[-1].split("\t")[1:] == ["alice", "label", str(ids[2]), "fail -> -"]
