"""English short dates with the month in letters: "4 Dec 2026", not Django's US
"12/04/2026", which a reader outside the US takes for the 12th of April. The shop is
read in Europe and elsewhere; every other format is Django's English one."""

SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y P"
