.headers on
.mode column
select * from summary order by n desc, city;
.mode list
select y, count(*) as n from nums group by y order by n desc, y limit 5;
select label from nums where y = 0 order by x limit 4;
select name, age from people where cast(age as integer) > 80 order by name;
.output /w/report.txt
select 'oldest in ' || city || ': ' || oldest from summary order by city;
.output stdout
select group_concat(name, '+') from (select name from people order by name);
pragma integrity_check;
.dump summary
