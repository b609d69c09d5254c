"""Installing the add-on over a CRM that already holds many leads.

Builds a database with CRM only and N leads (by SQL: a third won over two years, the
others open with and without need or closing date), then installs
prospect_development with ``odoo -i`` and reports the time, the peak memory of the
installing process, and whether every lead got its tier, grade, urgency and next
contact — beside the floor of one SQL ``UPDATE`` writing a value in every lead.

    python3 bench/bench_install.py                 # 100,000 leads
    python3 bench/bench_install.py --leads 20000   # quick
"""

import resource
import subprocess
import sys
import time

from benchlib import addons_path, parse_arguments, psql


def odoo(db, *args):
    """Run Odoo on ``db``: (seconds, peak RSS of the process in MB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "odoo",
            "-d",
            db,
            f"--addons-path={addons_path()}",
            "--without-demo=all",
            "--stop-after-init",
            "--log-level=warn",
            *args,
        ],
        check=True,
    )
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before) / 1024


def populate(db, count):
    """``count`` leads over count / 3 partners: a third won (dated over two
    years), the others open, half with a clear need and a closing date."""
    psql(
        db,
        f"""
        INSERT INTO res_partner (name, complete_name, email, is_company, active,
                                 type, create_date, write_date)
        SELECT 'Customer ' || i, 'Customer ' || i, 'c' || i || '@example.com',
               TRUE, TRUE, 'contact', NOW(), NOW()
          FROM generate_series(1, {count // 3}) i;
        UPDATE res_partner SET commercial_partner_id = id
         WHERE name LIKE 'Customer %' AND commercial_partner_id IS NULL;
        WITH won AS (SELECT id FROM crm_stage WHERE is_won ORDER BY sequence LIMIT 1),
             open AS (SELECT id FROM crm_stage WHERE is_won IS NOT TRUE
                       ORDER BY sequence LIMIT 1),
             partners AS (SELECT array_agg(id) AS ids FROM res_partner
                           WHERE name LIKE 'Customer %')
        INSERT INTO crm_lead (name, type, active, partner_id, company_id, user_id,
                              stage_id, expected_revenue, probability, date_closed,
                              date_deadline, email_from, create_date, write_date,
                              date_open, date_last_stage_update)
        SELECT 'Lead ' || i,
               'opportunity', TRUE,
               partners.ids[1 + i % array_length(partners.ids, 1)],
               1, 2,
               CASE WHEN i % 3 = 0 THEN won.id ELSE open.id END,
               1000 + (i * 7919) % 90000,
               CASE WHEN i % 3 = 0 THEN 100 ELSE 10 + i % 80 END,
               CASE WHEN i % 3 = 0 THEN NOW() - make_interval(days => i % 730) END,
               CASE WHEN i % 2 = 0 THEN CURRENT_DATE + (i % 300) END,
               'c' || i || '@example.com',
               NOW() - make_interval(days => i % 900), NOW(), NOW(), NOW()
          FROM generate_series(1, {count}) i, won, open, partners;
        """,
    )


def main():
    args = parse_arguments(__doc__.splitlines()[0], 100_000, 0, "pd_bench_install")
    print(f"# Install benchmark: {args.leads:,} existing leads")
    subprocess.run(["dropdb", "--if-exists", args.db], check=True)
    odoo(args.db, "-i", "crm")
    populate(args.db, args.leads)
    psql(args.db, "VACUUM ANALYZE crm_lead")

    start = time.perf_counter()
    psql(args.db, "UPDATE crm_lead SET color = COALESCE(color, 0)")
    floor_time = time.perf_counter() - start

    install_time, install_rss = odoo(args.db, "-i", "prospect_development")
    filled = psql(
        args.db,
        """
        SELECT COUNT(*) FILTER (
                   WHERE pyramid_tier IS NOT NULL AND prospect_grade IS NOT NULL
                     AND (stage.is_won OR NOT lead.active OR prospect_grade = 'e'
                          OR (contact_urgency IS NOT NULL
                              AND next_contact_date IS NOT NULL))),
               COUNT(*) FILTER (WHERE pyramid_tier IN ('super', 'large', 'medium',
                                                       'small'))
          FROM crm_lead lead
          LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
        """,
    )
    complete, customers = (int(value) for value in filled.split("|"))
    update_time, update_rss = odoo(args.db, "-u", "prospect_development")

    print()
    print("| run | time (s) | peak RSS of an Odoo process (MB) | vs SQL floor |")
    print("|---|---:|---:|---:|")
    print(
        f"| install over {args.leads:,} leads | {install_time:.1f} | "
        f"{install_rss:.0f} | {install_time / floor_time:.1f}x |"
    )
    print(
        f"| update (-u) afterwards | {update_time:.1f} | {update_rss:.0f} | "
        f"{update_time / floor_time:.1f}x |"
    )
    print(f"| floor: one UPDATE of every lead | {floor_time:.1f} | - | 1.0x |")
    print()
    print(
        f"checked: {complete:,} of {args.leads:,} leads carry tier and grade, and the "
        f"open ones urgency and next contact; {customers:,} ranked in the pyramid"
    )
    if not args.keep:
        subprocess.run(["dropdb", "--if-exists", args.db], check=False)
    if complete != args.leads:
        sys.exit("some leads were not filled")


if __name__ == "__main__":
    main()
