#!/usr/bin/env bash
# Imports the real material in ${SHARED:-../shared} into the data folder with the package's own
# commands, so that a fresh clone's report shows real series. Nothing is copied by hand and no
# value is edited: each file is stored as received (FHI's population file as a cut for the
# report's regions), with a sidecar (.meta.json) saying where it came from (data/provenance/).
#
# Run from anywhere:  data/import-shared.sh        (SHARED=/path/to/shared to move the source)
# Running it again changes nothing: a file already imported is reported as such.
# Left out on purpose: statbank-csv/07459/norway_population_by_age_sex_2023.csv (the 2023 file
# again, by sex: the same totals as Personer2023.csv), kommuner-2024-M.geojson (the S file is
# enough for maps), FHI's redistricting/hierarchy/names files (not used).
set -euo pipefail

cd "$(dirname "$0")/.."
SHARED="${SHARED:-../shared}"
SSB="$SHARED/ssb"
GEO="$SHARED/geo"
PROV=data/provenance
MIPR="${MIPR:-.venv/bin/mipr}"
export MIPR_DATA_DIR="${MIPR_DATA_DIR:-$PWD/data}"

# KLASS first: `mipr import-codes` checks region codes against these lists.
"$MIPR" import-file "$SSB/codes/klass131-changes-2017-2020.csv" \
  --table klass/kommuneendringer-2017-2020 --provenance "$PROV/klass.yaml" \
  --source "SSB KLASS, klassifikasjon 131: kodeendringer 2018–2020"
"$MIPR" import-file "$SSB/codes/klass131-changes-2024.json" \
  --table klass/kommuneendringer-2024 --provenance "$PROV/klass.yaml" \
  --source "SSB KLASS, klassifikasjon 131: kodeendringer 1. januar 2024"
"$MIPR" import-file "$SSB/codes/klass131-codes-at-2026-01-01.json" \
  --table klass/kommuner-2026 --provenance "$PROV/klass.yaml" \
  --source "SSB KLASS, klassifikasjon 131: gyldige kommunekoder 1. januar 2026"

# Statistikkbanken CSV exports: population 2005-2024 (07459), land use 2021 (09594).
for file in "$SSB"/statbank-csv/07459/Personer20*.csv; do
  "$MIPR" import-csv "$file" --table 07459 --provenance "$PROV/ssb-statbank-csv.yaml" \
    --source "Statistikkbanken (CSV-eksport), tabell 07459"
done
"$MIPR" import-csv "$SSB/statbank-csv/09594/areal-2021.csv" --table 09594 \
  --provenance "$PROV/ssb-statbank-csv.yaml" --source "Statistikkbanken (CSV-eksport), tabell 09594"

# Tables 11618 and 03321 as recorded by SSB's commuting app (statisticsnorway/pendling).
for year in 2017 2018 2019 2020 2021 2022; do
  "$MIPR" import-codes "$SSB/recorded/11618/11618-$year.csv.gz" --table 11618 \
    --provenance "$PROV/ssb-11618-pendling.yaml" \
    --source "SSB tabell 11618 $year, registrert av statisticsnorway/pendling"
  "$MIPR" import-codes "$SSB/recorded/03321/03321-$year.csv.gz" --table 03321 \
    --provenance "$PROV/ssb-03321-pendling.yaml" \
    --source "SSB tabell 03321 $year, registrert av statisticsnorway/pendling"
done

# FHI's population on 2024 borders (for 2025 and 2026), cut to the report's regions: the MIPR
# and Indre Østfold municipalities, Østfold (31), Akershus (32) and Norway, 2005-2026; and a
# second cut for where the region stands in Norway: every municipality, both sexes together,
# in the years the national comparisons use (growth over 1, 5 and 10 years to 2026, and 2024).
municipalities=municip_nor3103,municip_nor3216,municip_nor3112,municip_nor3114
municipalities+=,municip_nor3118,municip_nor3122,municip_nor3120,municip_nor3116
"$MIPR" import-codes "$SSB/derived-fhi/population-by-age-sex-b2024.csv.gz" \
  --table fhi/befolkning-b2024 --provenance "$PROV/fhi-befolkning-b2024.yaml" \
  --source "FHI, bearbeidet fra SSB tabell 07459 (befolkning 1. januar, 2024-grenser)" \
  --value-column pop_jan1_n --period-column calyear \
  --keep "location_code=nation_nor,county_nor31,county_nor32,$municipalities" \
         "calyear=$(seq -s, 2005 2026)"

# Kartverket's boundaries of 2024 (simplified), for maps.
"$MIPR" import-file "$GEO/kommuner-2024-S.geojson" --table kartverket/kommuner-2024 \
  --provenance "$PROV/kartverket.yaml" --source "Kartverket, kommunegrenser 2024 (forenklet)"
"$MIPR" import-file "$GEO/fylker-2024-S.geojson" --table kartverket/fylker-2024 \
  --provenance "$PROV/kartverket.yaml" --source "Kartverket, fylkesgrenser 2024 (forenklet)"

"$MIPR" status
"$MIPR" import-codes "$SSB/derived-fhi/population-by-age-sex-b2024.csv.gz" \
  --table fhi/befolkning-b2024 --provenance "$PROV/fhi-befolkning-b2024.yaml" \
  --source "FHI, bearbeidet fra SSB tabell 07459 (befolkning 1. januar, 2024-grenser)" \
  --value-column pop_jan1_n --period-column calyear \
  --keep granularity_geo=municip sex=total calyear=2016,2021,2024,2025,2026

# For comparing with similar municipalities and regions: SSB's centrality classes and the
# labour-market (BA) regions, both on 2024 municipality codes.
"$MIPR" import-file "$SSB/codes/sentralitet/sentralitet-b2024.csv" \
  --table klass/sentralitet-b2024 --provenance "$PROV/sentralitet.yaml" \
  --source "SSB, Standard for sentralitet (KLASS), kommuner fra 2024"
"$MIPR" import-file "$SSB/codes/baregioner/baregioner-2020-b2024-fhi-csdata.csv" \
  --table fhi/baregioner-b2024 --provenance "$PROV/baregioner.yaml" \
  --source "TØI/KMD, BA-regioner 2020, kommunenumre fra 2024 (FHI csdata)"
