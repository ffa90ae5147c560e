; helpers without arguments ignore R1-R5
; log: exact
; result: accept
call bpf_get_smp_processor_id
exit
